// Benchmark (not a test): 200 objects (20 backends x 9 servers + 20 backends)
// written through the client's queue (group commit) against the same objects
// written one by one with `version`, on one fresh bench per run, per generation.
// Prints wall time, requests and reloads of each and the ratios.
import { startBench } from "../bench/bench";
import { availableGenerations } from "../bench/tools";
import { buildClient, createHttp, ConnectionSchema, type DataplaneClient } from "../../provider/client";
import { reloadCount } from "../support/dpapi";

const BACKENDS = 20;
const SERVERS = 9;

type Run = { seconds: number; requests: number; reloads: number; transactions: number };

async function measure(gen: "v2" | "v3", write: (c: DataplaneClient, prefix: string) => Promise<void>): Promise<Run> {
  const bench = await startBench({ dataplane: gen });
  try {
    const dp = bench.dataplane!;
    const client = buildClient(createHttp(ConnectionSchema.parse({ url: dp.url, username: dp.username, password: dp.password })), gen);
    const reloadsBefore = await reloadCount(bench);
    const t0 = process.hrtime.bigint();
    await write(client, "b");
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const s = client.stats();
    return { seconds, requests: s.requests, reloads: (await reloadCount(bench)) - reloadsBefore, transactions: s.transactions };
  } finally {
    await bench.stop();
  }
}

const server = (b: string, j: number) => ({ name: `s${j}`, address: "127.0.0.1", port: 10000 + j, maintenance: "disabled" as const });

/** As Pulumi drives it: all backends at once, then all servers once their backend exists. */
async function queued(c: DataplaneClient, p: string): Promise<void> {
  await Promise.all(Array.from({ length: BACKENDS }, async (_, i) => {
    await c.createBackend({ name: `${p}${i}`, balance: { algorithm: "roundrobin" } });
    await Promise.all(Array.from({ length: SERVERS }, (_, j) => c.createServer(`${p}${i}`, server(`${p}${i}`, j))));
  }));
}

/** The baseline: each object written alone with `version`, one after the other. */
async function oneByOne(c: DataplaneClient, p: string): Promise<void> {
  for (let i = 0; i < BACKENDS; i++) {
    await c.createBackend({ name: `${p}${i}`, balance: { algorithm: "roundrobin" } });
    for (let j = 0; j < SERVERS; j++) await c.createServer(`${p}${i}`, server(`${p}${i}`, j));
  }
}

async function main(): Promise<void> {
  const fmt = (r: Run) => `${r.seconds.toFixed(2).padStart(7)} s  ${String(r.requests).padStart(5)} requests  ${String(r.reloads).padStart(4)} reloads  ${String(r.transactions).padStart(3)} transactions`;
  for (const gen of availableGenerations()) {
    const base = await measure(gen, oneByOne);
    const queue = await measure(gen, queued);
    console.log(`dataplaneapi ${gen}: ${BACKENDS * (SERVERS + 1)} objects`);
    console.log(`  one by one (baseline)  ${fmt(base)}`);
    console.log(`  queue (group commit)   ${fmt(queue)}`);
    console.log(`  ratio baseline/queue   ${(base.seconds / queue.seconds).toFixed(1)}x faster, ${(base.reloads / Math.max(queue.reloads, 1)).toFixed(1)}x fewer reloads, ${(base.requests / queue.requests).toFixed(1)}x fewer requests`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
