// Benchmark, not a test: a Fleet of three nodes (dataplaneapi v3, reload_delay 1), 200 objects per node
// (20 Backends with 9 Server resources each), sequential rollout without a health check, through `pulumi up`
// and `destroy` with the CLI's default flags. Prints reloads per node (group commit works per node: about the
// same as one node's 200-object up) and the time against one node's up of the same program measured in the same run,
// and against the engine's floor for as many resources (no-op dynamic resources, same shape, one bench): the
// engine's own time per resource grows with the size of the stack.
//   bash scripts/benchmark.sh fleet-200
import { performance } from "node:perf_hooks";
import { startBench, type Bench } from "../bench/bench";
import { programStack, type ProgramStack } from "../support/pulumi";
import { reloadCount } from "../support/dpapi";
import { startUpstream } from "../support/upstreams";

const NAMES = ["lb1", "lb2", "lb3"];

function perNode(port: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < 20; i++) {
    out.push({ type: "Backend", name: `be${i}`, args: { balance: { algorithm: "roundrobin" } } });
    for (let j = 0; j < 9; j++) out.push({ type: "Server", name: `be${i}-s${j}`, args: { backend: { $ref: `be${i}.name` }, name: `s${j}`, address: "127.0.0.1", port } });
  }
  return out;
}

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

async function fleetRun(count: number, port: number): Promise<{ up: number; destroy: number; reloads: number[] }> {
  const benches: Bench[] = [];
  let ps: ProgramStack | undefined;
  try {
    for (let i = 0; i < count; i++) benches.push(await startBench({ dataplane: "v3" }));
    ps = await programStack(benches[0], { program: "fleet", config: {
      "haproxy-dataplane:url": { value: "http://127.0.0.1:9" },
      "bench-program:nodes": { value: JSON.stringify(benches.map((b, i) => ({ name: NAMES[i], url: b.dataplane!.url, username: b.dataplane!.username, password: b.dataplane!.password }))) },
      "bench-program:rollout": { value: JSON.stringify({ order: "sequential" }) },
      "bench-program:resources": { value: JSON.stringify(perNode(port)) },
    } });
    const before = await Promise.all(benches.map(reloadCount));
    const up = await timed(() => ps!.stack.up());
    const reloads = (await Promise.all(benches.map(reloadCount))).map((n, i) => n - before[i]);
    const destroy = await timed(() => ps!.stack.destroy());
    return { up, destroy, reloads };
  } finally {
    await ps?.dispose();
    for (const b of benches) await b.stop();
  }
}

/** `pulumi up` and `destroy` of nodes × 200 do-nothing dynamic resources (test/programs/noop). */
async function engineFloor(nodes: number): Promise<{ up: number; destroy: number }> {
  const bench = await startBench({ dataplane: "v3" });
  const ps = await programStack(bench, { program: "noop", config: { "bench-program:backends": { value: String(20 * nodes) }, "bench-program:servers": { value: "9" } } });
  try {
    return { up: await timed(() => ps.stack.up()), destroy: await timed(() => ps.stack.destroy()) };
  } finally {
    await ps.dispose();
    await bench.stop();
  }
}

(async () => {
  const upstream = await startUpstream("up");
  try {
    const floor1 = await engineFloor(1);
    const floor3 = await engineFloor(3);
    const one = await fleetRun(1, upstream.port);
    const three = await fleetRun(3, upstream.port);
    console.log("## Fleet, 200 objects per node (20 backends × 9 servers), dataplaneapi v3, reload_delay 1, CLI defaults, sequential");
    console.log("| nodes | up | engine floor up | destroy | engine floor destroy | reloads per node |\n|---|---|---|---|---|---|");
    console.log(`| 1 | ${one.up.toFixed(1)} s | ${floor1.up.toFixed(1)} s | ${one.destroy.toFixed(1)} s | ${floor1.destroy.toFixed(1)} s | ${one.reloads.join(" / ")} |`);
    console.log(`| 3 | ${three.up.toFixed(1)} s (${(three.up / one.up).toFixed(2)}× one node) | ${floor3.up.toFixed(1)} s | ${three.destroy.toFixed(1)} s | ${floor3.destroy.toFixed(1)} s | ${three.reloads.join(" / ")} |`);
  } finally {
    await upstream.close();
  }
})().catch((e) => { console.error(e); process.exit(1); });
