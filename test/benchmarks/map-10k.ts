// Benchmark, not a test: how long a 10 000-entry MapFile takes to create and
// to update, on a real HAProxy and DPAPI, through the provider alone and
// through `pulumi up`. Prints a table; exits non-zero only if something fails.
//
//   bash scripts/benchmark.sh map-10k        # both API generations when present
//   bash scripts/benchmark.sh map-10k v3     # one generation
// scripts/benchmark.sh runs the set-up first (build and packed install included).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startBench, type Bench } from "../bench/bench";
import { availableGenerations, type Generation } from "../bench/tools";
import { programStack } from "../support/pulumi";
import { reloadCount } from "../support/dpapi";
import { waitForMapLoaded } from "../support/haproxy-files";
import { startRouter } from "../support/router";
import { connect } from "../../provider/client";
import * as mapFile from "../../provider/resources/map-file";

const N = 10_000;

type Entries = Record<string, string>;

function table(n: number, value: (i: number) => string): Entries {
  const out: Entries = {};
  for (let i = 0; i < n; i++) out[`host${String(i).padStart(5, "0")}.example.com`] = value(i);
  return out;
}

const initial = table(N, (i) => `be_${i % 16}`);
/** 1% of the values change. */
const onePercent = { ...initial, ...Object.fromEntries(Object.keys(initial).filter((_, i) => i % 100 === 0).map((k) => [k, "be_canary"])) };
/** Every value changes. */
const allValues = table(N, (i) => `be_${(i + 1) % 16}`);
/** 10% of values change, 500 keys go, 500 new ones come. */
const churn = (() => {
  const t: Entries = {};
  Object.entries(allValues).forEach(([k, v], i) => { if (i >= 500) t[k] = i % 10 === 0 ? "be_churn" : v; });
  for (let i = 0; i < 500; i++) t[`new${i}.example.com`] = "be_new";
  return t;
})();

/** Fails the benchmark if HAProxy does not serve what was declared (a fast wrong answer is no answer). */
async function expectLive(bench: Bench, map: string, entries: Entries): Promise<void> {
  const lines = (await bench.runtime(`show map ${bench.haproxy.mapsDir}/${map}`)).trim().split("\n");
  const keys = Object.keys(entries);
  const sample = [keys[0], keys[Math.floor(keys.length / 2)], keys[keys.length - 1]];
  const live = new Map(lines.map((l) => l.split(" ").slice(1) as [string, string]));
  const wrong = sample.filter((k) => live.get(k) !== entries[k]);
  if (lines.length !== keys.length || wrong.length) throw new Error(`${map}: HAProxy has ${lines.length} entries, wrong values for ${wrong.join(", ")}`);
}

interface Row { step: string; where: string; ms: number; reloads: number; how?: string }

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: Math.round(performance.now() - start), value };
}

async function providerAlone(bench: Bench, rows: Row[]): Promise<void> {
  const dp = bench.dataplane!;
  const connection = { url: dp.url, username: dp.username, password: dp.password };
  const name = "direct.map";
  const inputs = (entries: Entries) => ({ name, entries, connection });
  const step = async (label: string, fn: () => Promise<unknown>) => {
    const before = await reloadCount(bench);
    const { ms, value } = await timed(fn);
    rows.push({ step: label, where: "provider", ms, reloads: (await reloadCount(bench)) - before, how: typeof value === "string" ? value : undefined });
  };
  await step("create (upload)", () => mapFile.create(inputs(initial)));
  // A frontend uses the map (HAProxy loads it on the reload), so entry changes go through the runtime API.
  await startRouter(bench, { name: "direct_map", routes: [{ name: `%[req.hdr(host),lower,map(${bench.haproxy.mapsDir}/${name},none)]` }] });
  await waitForMapLoaded(bench, name);
  const client = await connect(connection);
  const apply = (entries: Entries) => mapFile.applyEntries(client, mapFile.MapFileInputsSchema.parse(inputs(entries)));
  await step("update 1% of values", () => apply(onePercent));
  await expectLive(bench, name, onePercent);
  await step("update every value", () => apply(allValues));
  await expectLive(bench, name, allValues);
  await step("10% values, -500, +500 keys", () => apply(churn));
  await expectLive(bench, name, churn);
  await step("read back (refresh)", () => mapFile.read(name, inputs(churn)));
}

async function throughPulumi(bench: Bench, rows: Row[]): Promise<void> {
  // 10 000 entries do not fit on a `pulumi config set` command line: the program reads them from a file.
  const entriesFile = join(bench.dir, "entries.json");
  const ps = await programStack(bench, { program: "map-from-file", stackName: "bench", config: { "bench-program:entriesFile": { value: entriesFile } } });
  try {
    const declare = async (entries: Entries) => writeFileSync(entriesFile, JSON.stringify(entries));
    const step = async (label: string, fn: () => Promise<unknown>) => {
      const before = await reloadCount(bench);
      const { ms } = await timed(fn);
      rows.push({ step: label, where: "pulumi", ms, reloads: (await reloadCount(bench)) - before });
    };
    await declare(initial);
    await step("up: create (upload)", () => ps.stack.up());
    await startRouter(bench, { name: "hosts_map", routes: [{ name: `%[req.hdr(host),lower,map(${bench.haproxy.mapsDir}/hosts.map,none)]` }] });
    await waitForMapLoaded(bench, "hosts.map");
    await declare(onePercent);
    await step("preview --diff: 1% of values", () => ps.stack.preview({ diff: true }));
    await step("up: update 1% of values", () => ps.stack.up());
    await expectLive(bench, "hosts.map", onePercent);
    await declare(allValues);
    await step("up: update every value", () => ps.stack.up());
    await expectLive(bench, "hosts.map", allValues);
    await declare(churn);
    await step("up: 10% values, -500, +500 keys", () => ps.stack.up());
    await expectLive(bench, "hosts.map", churn);
    await step("refresh", () => ps.stack.refresh());
  } finally {
    await ps.dispose();
  }
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a): a is Generation => a === "v2" || a === "v3");
  const gens = wanted.length ? wanted : availableGenerations();
  if (gens.length === 0) throw new Error("no dataplaneapi binary; run scripts/setup.sh");
  const rows: Array<Row & { gen: Generation }> = [];
  for (const gen of gens) {
    const bench = await startBench({ dataplane: gen });
    try {
      const mine: Row[] = [];
      await providerAlone(bench, mine);
      await throughPulumi(bench, mine);
      rows.push(...mine.map((r) => ({ ...r, gen })));
    } finally {
      await bench.stop();
    }
  }
  console.log(`\nMapFile with ${N} entries (HAProxy 2.6, loopback, ${new Date().toISOString()})\n`);
  console.log(["dpapi", "where", "step", "ms", "reloads", "path"].join("\t"));
  for (const r of rows) console.log([r.gen, r.where, r.step, r.ms, r.reloads, r.how ?? ""].join("\t"));
}

main().then(() => process.exit(0), (e) => { console.error(String(e?.stack ?? e).slice(0, 4000)); process.exit(1); });
