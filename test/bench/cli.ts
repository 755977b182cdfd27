// Keeps one bench running for a person (the README's main job): HAProxy, the
// Data Plane API, Consul and two demo HTTP servers on loopback, until SIGTERM.
// Writes what it started to the JSON file given as its argument.
import { writeFileSync, rmSync } from "node:fs";
import { startBench, freePort } from "./bench";
import { availableGenerations } from "./tools";
import { startUpstream } from "../support/upstreams";

async function main(): Promise<void> {
  const out = process.argv[2];
  if (!out) throw new Error("usage: cli.js <state.json>");
  const gen = availableGenerations()[0];
  if (!gen) throw new Error("no dataplaneapi binary found; see README (Data Plane API binaries)");
  const withConsul = process.env.BENCH_NO_CONSUL !== "1";
  const bench = await startBench({ dataplane: gen, consul: withConsul });
  const upstreams = [await startUpstream("demo-1"), await startUpstream("demo-2")];
  const info = {
    pid: process.pid,
    dir: bench.dir,
    haproxyConfig: bench.haproxy.configPath,
    dataplane: bench.dataplane,
    consul: bench.consul,
    upstreamPorts: upstreams.map((u) => u.port),
    // The quickstart's Frontend listens here.
    quickstartPort: await freePort(),
  };
  writeFileSync(out, JSON.stringify(info, null, 2));
  const stop = async () => {
    for (const u of upstreams) await u.close();
    await bench.stop();
    rmSync(out, { force: true });
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
