// Benchmark, not a test: where one fine-grained `pulumi up` of 200 objects (CLI defaults) spends its time,
// and then its `destroy`, from DPAPI's access log: requests by kind.
//   bash scripts/benchmark.sh up-profile [v2|v3] [reload_delay] [fine|inline]
import { performance } from "node:perf_hooks";
import { copyFileSync } from "node:fs";
import { startBench } from "../bench/bench";
import { programStack, type Declared } from "../support/pulumi";
import { accessLogLines } from "../support/dpapi";
import { startUpstream } from "../support/upstreams";
import type { Generation } from "../bench/tools";

function printRequests(lines: string[]): void {
  const kinds = new Map<string, number>();
  for (const l of lines) {
    const m = /"(GET|POST|PUT|DELETE) ([^" ?]+)/.exec(l);
    if (!m) continue;
    const k = `${m[1]} ${m[2].replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, "{id}").replace(/be\d+/g, "{be}").replace(/s\d+$/, "{s}")}`;
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  console.log(`${lines.length} requests`);
  for (const [k, n] of [...kinds].sort((a, b) => b[1] - a[1])) console.log(`${String(n).padStart(5)} ${k}`);
}

const gen = (process.argv[2] ?? "v3") as Generation;
const delay = Number(process.argv[3] ?? 1);
const shape = process.argv[4] ?? "fine";

(async () => {
  const bench = await startBench({ dataplane: gen, reloadDelay: delay });
  const upstream = await startUpstream("up");
  const ps = await programStack(bench);
  try {
    const out: Declared[] = [];
    for (let i = 0; i < 20; i++) {
      const servers = Array.from({ length: 9 }, (_, j) => ({ name: `s${j}`, address: "127.0.0.1", port: upstream.port }));
      if (shape === "inline") { out.push({ type: "Backend", name: `be${i}`, args: { balance: { algorithm: "roundrobin" }, servers } }); continue; }
      out.push({ type: "Backend", name: `be${i}`, args: { balance: { algorithm: "roundrobin" } } });
      for (const s of servers) out.push({ type: "Server", name: `be${i}-${s.name}`, args: { backend: { $ref: `be${i}.name` }, address: s.address, port: s.port } });
    }
    await ps.declare(out);
    const from = accessLogLines(bench).length;
    const t0 = performance.now();
    await ps.stack.up();
    console.log(`up: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const state = await ps.stack.exportStack();
    const res = (state.deployment.resources ?? []) as Array<{ type: string; inputs?: unknown; outputs?: unknown }>;
    console.log(`checkpoint: ${JSON.stringify(state).length} bytes, ${res.length} resources; a Server: ${JSON.stringify(res.find((r) => r.type.endsWith("Server")))}`);
    await new Promise((r) => setTimeout(r, 300));
    printRequests(accessLogLines(bench).slice(from));
    const beforeDestroy = accessLogLines(bench).length;
    const t1 = performance.now();
    await ps.stack.destroy();
    console.log(`destroy: ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    await new Promise((r) => setTimeout(r, 300));
    printRequests(accessLogLines(bench).slice(beforeDestroy));
    copyFileSync(bench.dataplane!.logPath, process.env.PROFILE_LOG ?? "/tmp/up-profile-access.log");
  } finally {
    await ps.dispose();
    await upstream.close();
    await bench.stop();
  }
})().catch((e) => { console.error(e); process.exit(1); });
