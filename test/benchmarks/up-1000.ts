// Benchmark, not a test: growth. The same measurement at 200, 500 and 1,000 objects (reload_delay 1), printing
// time per object, so a step that grows with size (quadratic work in the provider) shows.
//   bash scripts/benchmark.sh up-1000 [v2|v3]
import { scaleBenchmark } from "./scale";
import type { Generation } from "../bench/tools";

const gen = process.argv[2] as Generation | undefined;
scaleBenchmark([200, 500, 1000], { delays: [1], generations: gen ? [gen] : ["v3"] })
  .catch((e) => { console.error(e); process.exit(1); });
