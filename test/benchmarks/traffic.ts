// Benchmark, not a test: requests that fail while `pulumi up` releases, for every kind of change this
// package makes, with a client that opens a connection per request and one that keeps connections alive.
// Each row is wrk (2 threads, 8 connections) against HAProxy on loopback for the time the changes take,
// compared with the same load and no change, in the same run.
//   bash scripts/benchmark.sh traffic [v2|v3]
import { startBench } from "../bench/bench";
import { availableGenerations, type Generation } from "../bench/tools";
import { programStack } from "../support/pulumi";
import { wrkAvailable, type Client } from "../support/load";
import { startEdge, type Kind } from "../support/traffic";

const PLAN: Array<{ kind: Kind; count: number; label: string }> = [
  { kind: "none", count: 0, label: "no change (baseline)" },
  { kind: "blue-green", count: 10, label: "10 blue/green switches (map entry)" },
  { kind: "canary", count: 10, label: "10 canary weight shifts" },
  { kind: "server-weight", count: 15, label: "10 server weight changes + 5 drains" },
  { kind: "reload", count: 5, label: "5 reloads (backend + route added/removed)" },
  { kind: "certificate", count: 1, label: "certificate rotation (TLS bind)" },
];

async function main(): Promise<void> {
  if (!wrkAvailable()) throw new Error("wrk is not on PATH: run scripts/setup.sh (it installs Debian's wrk)");
  const only = process.argv[2] as Generation | undefined;
  for (const gen of only ? [only] : availableGenerations()) {
    const bench = await startBench({ dataplane: gen });
    const ps = await programStack(bench);
    const edge = await startEdge(bench, ps);
    try {
      for (const client of ["new-connection", "keep-alive"] as Client[]) {
        console.log(`\ndataplaneapi ${gen}, client: ${client} (wrk -t2 -c8)`);
        console.log(`| change | requests | failed | non-2xx | conn/read/write/timeout errors | req/s | p50 ms | p99 ms |`);
        console.log(`|---|---|---|---|---|---|---|---|`);
        for (const step of PLAN) {
          const r = await edge.measure(step.kind, step.count, client);
          const e = r.errors;
          console.log(`| ${step.label} | ${r.sent} | **${r.failed}** | ${r.non2xx} | ${e.connect}/${e.read}/${e.write}/${e.timeout} | ${r.requestsPerSecond.toFixed(0)} | ${r.p50ms.toFixed(2)} | ${r.p99ms.toFixed(2)} |`);
        }
      }
      await ps.stack.destroy();
    } finally {
      await edge.close();
      await ps.dispose();
      await bench.stop();
    }
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
