// Benchmark, not a test: 200 objects (20 backends × 9 servers + 20 backends) through `pulumi up`, preview,
// refresh and destroy with the CLI's default flags, against the engine floor, the DPAPI floor and TF-ce,
// at reload_delay 1 and 5, on every dataplaneapi generation present.
//   bash scripts/benchmark.sh up-200 [v2|v3]
import { scaleBenchmark } from "./scale";
import type { Generation } from "../bench/tools";

const gen = process.argv[2] as Generation | undefined;
scaleBenchmark([200], { delays: [1, 5], generations: gen ? [gen] : undefined })
  .catch((e) => { console.error(e); process.exit(1); });
