// Benchmark, not a test: how long a new Consul registration takes to serve
// traffic through HAProxy when the Data Plane API's Consul discovery feeds the
// backend, for a given poll interval (retryTimeout). Real Consul, real DPAPI,
// real HAProxy on 127.0.0.1; the discovery is made by this provider's
// ConsulDiscovery life (create with waitForBackends), without Pulumi around it.
//
//   bash scripts/benchmark.sh consul-latency                       # retryTimeout 2, 6 rounds, first generation found
//   bash scripts/benchmark.sh consul-latency --retry-timeout 1 --rounds 10 v2
//
// For each round it starts one more HTTP server, registers it in Consul and
// measures, from the registration: when DPAPI wrote it to haproxy.cfg, when
// HAProxy's runtime runs it, and when a request through a frontend that routes
// by header (test/support/router.ts) is first answered by it. The bench's dataplaneapi reloads HAProxy with reload_delay 1 s;
// DPAPI's default is 5 s, which adds up to 4 s to every figure on a default install.
import { performance } from "node:perf_hooks";
import Consul from "consul";
import { startBench, sleep } from "../bench/bench";
import { availableGenerations, type Generation } from "../bench/tools";
import { startUpstream, type Upstream } from "../support/upstreams";
import { startRouter } from "../support/router";
import { reloadCount } from "../support/dpapi";
import { connect } from "../../provider/client";
import * as discovery from "../../provider/resources/consul-discovery";

function args(): { retryTimeout: number; rounds: number; generation?: Generation } {
  const argv = process.argv.slice(2);
  const value = (flag: string, dflt: number) => {
    const i = argv.indexOf(flag);
    if (i < 0) return dflt;
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer`);
    return n;
  };
  const generation = argv.find((a) => a === "v2" || a === "v3") as Generation | undefined;
  return { retryTimeout: value("--retry-timeout", 2), rounds: value("--rounds", 6), generation };
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const fmt = (ms: number | undefined) => (ms === undefined ? "   -  " : `${(ms / 1000).toFixed(2).padStart(6)}`);

async function main(): Promise<void> {
  const { retryTimeout, rounds, generation } = args();
  const gen = generation ?? availableGenerations()[0];
  if (!gen) throw new Error("no dataplaneapi binary found; run scripts/setup.sh");
  const bench = await startBench({ dataplane: gen, consul: true });
  const upstreams: Upstream[] = [];
  const consul = new Consul({ host: "127.0.0.1", port: bench.consul!.port });
  let id: string | undefined;
  let outs: Record<string, unknown> | undefined;
  try {
    const dp = bench.dataplane!;
    const connection = { url: dp.url, username: dp.username, password: dp.password };
    const client = await connect(connection);
    const router = await startRouter(bench);
    const backend = `consul-backend-127.0.0.1-${bench.consul!.port}-lat`;
    const register = (u: Upstream) => consul.agent.service.register({ name: "lat", id: u.name, address: "127.0.0.1", port: u.port });

    upstreams.push(await startUpstream("lat-0"));
    await register(upstreams[0]);
    const inputs = (await discovery.check({}, {
      address: "127.0.0.1", port: bench.consul!.port, retryTimeout, serviceAllowlist: ["lat"], waitForBackends: true, waitTimeout: 120, connection,
    })).inputs!;
    const started = performance.now();
    const created = await discovery.create(inputs);
    id = created.id; outs = created.outs as unknown as Record<string, unknown>;
    console.log(`dataplaneapi ${gen}, Consul ${bench.consul!.url}, retryTimeout ${retryTimeout} s, reload_delay 1 s`);
    console.log(`create with waitForBackends: backend serving after ${fmt(performance.now() - started)} s\n`);
    console.log("round  haproxy.cfg  runtime  traffic  reloads   (seconds from the registration)");

    const rows: Array<{ cfg?: number; runtime?: number; traffic?: number }> = [];
    for (let r = 1; r <= rounds; r++) {
      const u = await startUpstream(`lat-${r}`);
      upstreams.push(u);
      const reloadsBefore = await reloadCount(bench);
      // Start each round just after a poll would be random anyway; spread rounds over the poll phase.
      await sleep(Math.random() * retryTimeout * 1000);
      const t0 = performance.now();
      await register(u);
      const row: { cfg?: number; runtime?: number; traffic?: number } = {};
      const deadline = t0 + (retryTimeout * 4 + 30) * 1000;
      while (row.traffic === undefined && performance.now() < deadline) {
        if (row.cfg === undefined && (await client.listServers(backend)).some((s) => s.port === u.port && s.maintenance !== "enabled")) {
          row.cfg = performance.now() - t0;
        }
        if (row.runtime === undefined && ((await client.listRuntimeServers(backend)) ?? []).some((s) => s.port === u.port && s.admin_state === "ready")) {
          row.runtime = performance.now() - t0;
        }
        // Round robin over r + 1 servers: one burst that size reaches the new one once HAProxy runs it.
        for (let i = 0; i <= r && row.traffic === undefined; i++) {
          const res = await fetch(router.url + "/", { headers: { "x-backend": backend, connection: "close" } });
          if ((await res.text()) === u.name) row.traffic = performance.now() - t0;
        }
        if (row.traffic === undefined) await sleep(50);
      }
      // Answered before the runtime listing caught up within the same check: it ran by then.
      if (row.traffic !== undefined) row.runtime = Math.min(row.runtime ?? row.traffic, row.traffic);
      rows.push(row);
      console.log(`${String(r).padStart(5)}  ${fmt(row.cfg)}       ${fmt(row.runtime)}   ${fmt(row.traffic)}   ${String((await reloadCount(bench)) - reloadsBefore).padStart(4)}`);
    }
    const traffic = rows.map((x) => x.traffic).filter((x): x is number => x !== undefined);
    console.log(`\nregistration → traffic: median ${fmt(median(traffic))} s, min ${fmt(Math.min(...traffic))} s, max ${fmt(Math.max(...traffic))} s` +
      ` over ${traffic.length}/${rounds} rounds (retryTimeout ${retryTimeout} s)`);
    if (traffic.length < rounds) process.exitCode = 1;
  } finally {
    if (id && outs) await discovery.remove(id, outs).catch((e) => console.error(`cleanup: ${e}`));
    consul.destroy();
    for (const u of upstreams) await u.close();
    await bench.stop();
  }
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
