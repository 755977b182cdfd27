import { performance } from "node:perf_hooks";
import { startBench } from "../bench/bench";
import { programStack } from "../support/pulumi";
(async () => {
  const bench = await startBench({ dataplane: "v3", reloadDelay: 1 });
  for (let r = 0; r < 3; r++) {
    const ps = await programStack(bench, { program: "noop", config: { "bench-program:backends": { value: "20" }, "bench-program:servers": { value: "0" } } });
    const t0 = performance.now();
    await ps.stack.up();
    const t1 = performance.now();
    await ps.stack.destroy();
    console.log(`noop 20: up ${((t1 - t0) / 1000).toFixed(2)} s, destroy ${((performance.now() - t1) / 1000).toFixed(2)} s`);
    await ps.dispose();
  }
  await bench.stop();
})().catch((e) => { console.error(e); process.exit(1); });
