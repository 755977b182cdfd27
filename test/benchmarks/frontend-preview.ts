// Benchmark, not a test: what HAProxy's own check of a changed Frontend adds to `pulumi preview`.
// 20 frontends are created, then one ACL value changes in each, and the same preview runs with the check
// off (`validate: false`) and on, alternating, on one fresh bench per generation.
//   bash scripts/benchmark.sh frontend-preview [v2|v3]
import { performance } from "node:perf_hooks";
import { startBench, freePort } from "../bench/bench";
import { availableGenerations, type Generation } from "../bench/tools";
import { programStack, type Declared } from "../support/pulumi";

const FRONTENDS = 20;
const ROUNDS = 3;

async function main(): Promise<void> {
  const only = process.argv[2] as Generation | undefined;
  for (const gen of only ? [only] : availableGenerations()) {
    const bench = await startBench({ dataplane: gen });
    const ps = await programStack(bench);
    try {
      const ports = await Promise.all(Array.from({ length: FRONTENDS }, () => freePort()));
      const declare = (path: string, validate: boolean) => ps.declare([
        { type: "Backend", name: "app", args: { balance: { algorithm: "roundrobin" } } },
        ...ports.map((port, i): Declared => ({ type: "Frontend", name: `fe${i}`, args: {
          mode: "http", validate, binds: [{ address: "127.0.0.1", port }],
          acls: [{ name: "is_api", criterion: "path_beg", value: path }, { name: "host_a", criterion: "hdr(host)", value: `a${i}.example.com` }],
          routes: [{ backend: { $ref: "app.name" }, if: "is_api" }], defaultBackend: { $ref: "app.name" },
        } })),
      ]);
      await declare("/api", false);
      await ps.stack.up();
      const times: Record<"off" | "on", number[]> = { off: [], on: [] };
      for (let r = 0; r < ROUNDS; r++) {
        for (const mode of ["off", "on"] as const) {
          await declare("/v2", mode === "on");
          const t0 = performance.now();
          const preview = await ps.stack.preview();
          times[mode].push((performance.now() - t0) / 1000);
          if ((preview.changeSummary.update ?? 0) < FRONTENDS) throw new Error(`expected ${FRONTENDS} updates, got ${JSON.stringify(preview.changeSummary)}`);
        }
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const off = median(times.off); const on = median(times.on);
      console.log(`dataplaneapi ${gen}: pulumi preview of ${FRONTENDS} changed frontends (median of ${ROUNDS})`);
      console.log(`  without HAProxy's check   ${off.toFixed(2)} s`);
      console.log(`  with HAProxy's check      ${on.toFixed(2)} s   (+${(on - off).toFixed(2)} s, ${(1000 * (on - off) / FRONTENDS).toFixed(0)} ms per changed frontend, ${(on / off).toFixed(2)}x)`);
      await ps.stack.destroy();
    } finally {
      await ps.dispose();
      await bench.stop();
    }
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
