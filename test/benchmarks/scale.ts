// What `bash scripts/benchmark.sh up-200` and `up-1000` measure: `pulumi up`,
// no-op `preview`, `refresh` and `destroy` of backends with servers through the
// real CLI with its default flags (`--parallel` is 4 per core), against floors
// measured in the same run on fresh benches:
// - engine floor: the same number of dynamic resources, in the same
//   parent/child shape, whose provider does nothing;
// - DPAPI floor: every object in one transaction, committed with
//   `force_reload` (DPAPI answers once HAProxy has reloaded);
// - TF-ce (when built on this machine, see tfce.ts): the Terraform provider
//   cepitacio/terraform-provider-haproxy through OpenTofu, default flags.
// Each program runs with DPAPI's `reload_delay` 1 (the bench's) and 5 (DPAPI's default).
import { performance } from "node:perf_hooks";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBench, type Bench } from "../bench/bench";
import { availableGenerations, type Generation } from "../bench/tools";
import { programStack, type Declared, type ProgramStack } from "../support/pulumi";
import { accessLogLines, reloadCount } from "../support/dpapi";
import { startUpstream, sendThrough } from "../support/upstreams";
import { startRouter, type Router } from "../support/router";
import { runTfce, tfceAvailable } from "./tfce";

export interface Phase { seconds: number; reloads: number; requests: number }
export interface Run { up: Phase; preview: Phase; refresh: Phase; destroy: Phase; serving?: string }

const SERVERS = 9;
/** Each program runs this many times on fresh benches; each figure is the best run (the machine's noise is one-sided). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const PREVIEWS = 3;

function best<T extends object>(runs: T[]): T {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(runs[0])) {
    const vals = runs.map((r) => (r as Record<string, unknown>)[key]);
    if (vals.every((v) => v && typeof v === "object" && "seconds" in (v as object))) {
      out[key] = (vals as Phase[]).reduce((a, b) => (b.seconds < a.seconds ? b : a));
    } else out[key] = vals[0];
  }
  return out as T;
}

async function repeat<T extends object>(fn: () => Promise<T>): Promise<T> {
  const runs: T[] = [];
  for (let i = 0; i < ROUNDS; i++) runs.push(await fn());
  return best(runs);
}

async function timed(bench: Bench | undefined, fn: () => Promise<unknown>): Promise<Phase> {
  const reloads = bench ? await reloadCount(bench) : 0;
  const lines = bench ? accessLogLines(bench).length : 0;
  const t0 = performance.now();
  await fn();
  const seconds = (performance.now() - t0) / 1000;
  return {
    seconds,
    reloads: bench ? (await reloadCount(bench)) - reloads : 0,
    // DPAPI's access log is written a moment after the answer.
    requests: bench ? (await new Promise((r) => setTimeout(r, 200)), accessLogLines(bench).length - lines) : 0,
  };
}

async function lifecycle(bench: Bench | undefined, ps: ProgramStack, check?: () => Promise<string>): Promise<Run> {
  const up = await timed(bench, () => ps.stack.up());
  const serving = check ? await check() : undefined;
  // A no-op preview is the shortest phase and the noisiest: each round takes the fastest of a few, and the most
  // reloads and requests any of them made (there must be none of either).
  const previews: Phase[] = [];
  for (let i = 0; i < PREVIEWS; i++) previews.push(await timed(bench, () => ps.stack.preview({ expectNoChanges: true })));
  const preview: Phase = {
    seconds: Math.min(...previews.map((p) => p.seconds)),
    reloads: Math.max(...previews.map((p) => p.reloads)),
    requests: Math.max(...previews.map((p) => p.requests)),
  };
  const refresh = await timed(bench, () => ps.stack.refresh());
  const destroy = await timed(bench, () => ps.stack.destroy());
  return { up, preview, refresh, destroy, serving };
}

function fineGrained(backends: number, port: number): Declared[] {
  const out: Declared[] = [];
  for (let i = 0; i < backends; i++) {
    out.push({ type: "Backend", name: `be${i}`, args: { balance: { algorithm: "roundrobin" } } });
    for (let j = 0; j < SERVERS; j++) {
      out.push({ type: "Server", name: `be${i}-s${j}`, args: { backend: { $ref: `be${i}.name` }, address: "127.0.0.1", port } });
    }
  }
  return out;
}

function inline(backends: number, port: number): Declared[] {
  return Array.from({ length: backends }, (_, i) => ({
    type: "Backend" as const, name: `be${i}`,
    args: { balance: { algorithm: "roundrobin" }, servers: Array.from({ length: SERVERS }, (_, j) => ({ name: `s${j}`, address: "127.0.0.1", port })) },
  }));
}

/** Every server answered: one request per server through each backend, then each server's session count. */
async function everyServerServes(bench: Bench, router: Router, backends: number): Promise<string> {
  for (let i = 0; i < backends; i++) await sendThrough(router, `be${i}`, SERVERS);
  const stat = await bench.runtime("show stat -1 4 -1");
  const header = stat.split("\n")[0].replace(/^# /, "").split(",");
  const stot = header.indexOf("stot");
  const rows = stat.split("\n").filter((l) => /^be\d+,/.test(l));
  const serving = rows.filter((l) => Number(l.split(",")[stot]) > 0).length;
  return `${serving}/${backends * SERVERS}`;
}

async function withBench<T>(gen: Generation, reloadDelay: number, fn: (bench: Bench, port: number) => Promise<T>): Promise<T> {
  const bench = await startBench({ dataplane: gen, reloadDelay });
  const upstream = await startUpstream("up");
  try { return await fn(bench, upstream.port); } finally { await upstream.close(); await bench.stop(); }
}

/** Do-nothing resources in the program's shape; with `programInputs`, each also takes the inputs the program writes. */
async function engineFloor(gen: Generation, backends: number, programInputs = false): Promise<Run> {
  return withBench(gen, 1, async (bench) => {
    const ps = await programStack(bench, { program: "noop", config: {
      "bench-program:backends": { value: String(backends) }, "bench-program:servers": { value: String(SERVERS) },
      ...(programInputs ? { "bench-program:inputs": { value: "program" } } : {}),
    } });
    try { return await lifecycle(undefined, ps); } finally { await ps.dispose(); }
  });
}

async function programRun(gen: Generation, reloadDelay: number, declared: (port: number) => Declared[], backends: number): Promise<Run> {
  return withBench(gen, reloadDelay, async (bench, port) => {
    // The frontend requests go through; made before anything is timed.
    const router = await startRouter(bench);
    const ps = await programStack(bench);
    try {
      await ps.declare(declared(port));
      return await lifecycle(bench, ps, () => everyServerServes(bench, router, backends));
    } finally { await ps.dispose(); }
  });
}

/** All objects in one transaction, committed with force_reload: the least any client can take. */
async function dpapiFloor(gen: Generation, reloadDelay: number, backends: number): Promise<Phase> {
  return withBench(gen, reloadDelay, async (bench, port) => {
    const dp = bench.dataplane!;
    const auth = { authorization: "Basic " + Buffer.from(`${dp.username}:${dp.password}`).toString("base64"), "content-type": "application/json" };
    const base = `${dp.url}/${gen}/services/haproxy`;
    return timed(bench, async () => {
      const version = Number(await (await fetch(`${base}/configuration/version`, { headers: auth })).text());
      const txn = (await (await fetch(`${base}/transactions?version=${version}`, { method: "POST", headers: auth })).json()) as { id: string };
      for (let i = 0; i < backends; i++) {
        await fetch(`${base}/configuration/backends?transaction_id=${txn.id}`, { method: "POST", headers: auth, body: JSON.stringify({ name: `be${i}`, balance: { algorithm: "roundrobin" } }) });
        for (let j = 0; j < SERVERS; j++) {
          const path = gen === "v3" ? `${base}/configuration/backends/be${i}/servers?transaction_id=${txn.id}` : `${base}/configuration/servers?backend=be${i}&transaction_id=${txn.id}`;
          const res = await fetch(path, { method: "POST", headers: auth, body: JSON.stringify({ name: `s${j}`, address: "127.0.0.1", port }) });
          if (res.status >= 300) throw new Error(`floor: ${res.status} ${await res.text()}`);
        }
      }
      const commit = await fetch(`${base}/transactions/${txn.id}?force_reload=true`, { method: "PUT", headers: auth });
      if (commit.status !== 200) throw new Error(`floor commit: ${commit.status} ${await commit.text()}`);
    });
  });
}

async function tfce(gen: Generation, reloadDelay: number, backends: number): Promise<{ apply: Phase; plan: Phase; destroy: Phase } | string> {
  const avail = tfceAvailable();
  if (!avail.ok) return avail.reason;
  return withBench(gen, reloadDelay, async (bench, port) => {
    const dp = bench.dataplane!;
    const workDir = mkdtempSync(join(tmpdir(), "tfce-"));
    try {
      const reloads0 = await reloadCount(bench);
      const r = await runTfce({ url: dp.url, username: dp.username, password: dp.password, backends, serversPerBackend: SERVERS, serverPort: () => port, workDir, apiVersion: gen });
      const reloads = (await reloadCount(bench)) - reloads0;
      return {
        apply: { seconds: r.applySeconds, reloads, requests: 0 },
        plan: { seconds: r.planSeconds, reloads: 0, requests: 0 },
        destroy: { seconds: r.destroySeconds, reloads: 0, requests: 0 },
      };
    } finally { rmSync(workDir, { recursive: true, force: true }); }
  });
}

const f = (s: number) => `${s.toFixed(1)} s`;
const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const verdict = (ok: boolean) => (ok ? "met" : "NOT met");

export async function scaleBenchmark(sizes: number[], opts: { delays: number[]; generations?: Generation[]; programs?: boolean }): Promise<void> {
  const gens = opts.generations ?? availableGenerations();
  if (gens.length === 0) throw new Error("no dataplaneapi binary: see README (Data Plane API binaries)");
  for (const objects of sizes) {
    const backends = Math.round(objects / (SERVERS + 1));
    for (const gen of gens) {
      const engine = await repeat(() => engineFloor(gen, backends));
      // What the engine alone takes for resources carrying the inputs the program writes (not for growth sizes).
      const engineWithInputs = sizes.length === 1 ? await repeat(() => engineFloor(gen, backends, true)) : undefined;
      console.log(`\n## ${backends * (SERVERS + 1)} objects, best of ${ROUNDS} runs each (no-op preview: best of ${ROUNDS} × ${PREVIEWS}) (${backends} backends × ${SERVERS} servers + backends), dataplaneapi ${gen}, CLI default --parallel`);
      console.log(`engine floor (no-op dynamic resources, same shape): up ${f(engine.up.seconds)}, preview ${f(engine.preview.seconds)}, refresh ${f(engine.refresh.seconds)}, destroy ${f(engine.destroy.seconds)}`);
      for (const delay of opts.delays) {
        const floor = (await repeat(async () => ({ p: await dpapiFloor(gen, delay, backends) }))).p;
        const fine = await repeat(() => programRun(gen, delay, (p) => fineGrained(backends, p), backends));
        const inl = await repeat(() => programRun(gen, delay, (p) => inline(backends, p), backends));
        const tfRuns = sizes.length === 1 ? await repeat(async () => {
          const r = await tfce(gen, delay, backends);
          return typeof r === "string" ? { reason: r } : r;
        }) : { reason: "not run for growth sizes" };
        const tf = "reason" in tfRuns ? String(tfRuns.reason) : tfRuns as { apply: Phase; plan: Phase; destroy: Phase };
        const upFloor = engine.up.seconds + floor.seconds;
        const destroyFloor = engine.destroy.seconds + floor.seconds;
        console.log(`\n### reload_delay ${delay}`);
        console.log("| run | up | reloads | DPAPI requests | destroy | no-op preview | refresh (requests) | serving after up |");
        console.log("|---|---|---|---|---|---|---|---|");
        console.log(`| engine floor | ${f(engine.up.seconds)} | — | — | ${f(engine.destroy.seconds)} | ${f(engine.preview.seconds)} | ${f(engine.refresh.seconds)} | — |`);
        if (engineWithInputs) {
          const e = engineWithInputs;
          console.log(`| engine floor, resources with the program's inputs | ${f(e.up.seconds)} | — | — | ${f(e.destroy.seconds)} | ${f(e.preview.seconds)} | ${f(e.refresh.seconds)} | — |`);
        }
        console.log(`| DPAPI floor (one transaction, force_reload) | ${f(floor.seconds)} | ${floor.reloads} | ${floor.requests} | — | — | — | — |`);
        for (const [name, r] of [["fine-grained (Backend + Server resources)", fine], ["inline servers (Backend.servers)", inl]] as const) {
          console.log(`| ${name} | ${f(r.up.seconds)} | ${r.up.reloads} | ${r.up.requests} | ${f(r.destroy.seconds)} (${r.destroy.reloads} reloads) | ${f(r.preview.seconds)} (${r.preview.requests} req) | ${f(r.refresh.seconds)} (${r.refresh.requests}) | ${r.serving} |`);
        }
        if (typeof tf === "string") console.log(`| TF-ce | ${tf} | | | | | | |`);
        else console.log(`| TF-ce (OpenTofu, default flags) | ${f(tf.apply.seconds)} | ${tf.apply.reloads} | — | ${f(tf.destroy.seconds)} | plan ${f(tf.plan.seconds)} | — | — |`);
        const objectsN = backends * (SERVERS + 1);
        console.log("");
        console.log(`- fine-grained up / (engine + DPAPI floor) = ${x(fine.up.seconds, upFloor)} (goal ≤ 1.3×: ${verdict(fine.up.seconds <= 1.3 * upFloor)}); reloads ${fine.up.reloads} (goal ≤ 3: ${verdict(fine.up.reloads <= 3)})`);
        console.log(`- fine-grained destroy / (engine destroy + DPAPI floor) = ${x(fine.destroy.seconds, destroyFloor)} (goal ≤ 1.3×: ${verdict(fine.destroy.seconds <= 1.3 * destroyFloor)})`);
        console.log(`- fine-grained no-op preview / engine preview = ${x(fine.preview.seconds, engine.preview.seconds)} (goal ≤ 1.15×: ${verdict(fine.preview.seconds <= 1.15 * engine.preview.seconds)}), DPAPI writes during preview: ${fine.preview.reloads} reloads`);
        if (engineWithInputs) {
          console.log(`  (against do-nothing resources with the same inputs as the program: ${x(fine.preview.seconds, engineWithInputs.preview.seconds)})`);
        }
        console.log(`- fine-grained refresh / engine refresh = ${x(fine.refresh.seconds, engine.refresh.seconds)} (goal ≤ 1.3×: ${verdict(fine.refresh.seconds <= 1.3 * engine.refresh.seconds)}); ${(fine.refresh.requests / backends).toFixed(1)} DPAPI requests per backend`);
        console.log(`- inline up: ${f(inl.up.seconds)}, ${inl.up.reloads} reloads (goal ≤ 3: ${verdict(inl.up.reloads <= 3)})` +
          (typeof tf === "string" ? "" : `; TF-ce apply / inline up = ${x(tf.apply.seconds, inl.up.seconds)} (goal ≥ 2×: ${verdict(tf.apply.seconds >= 2 * inl.up.seconds)})`));
        console.log(`- time per object: fine-grained up ${(1000 * fine.up.seconds / objectsN).toFixed(1)} ms, inline up ${(1000 * inl.up.seconds / objectsN).toFixed(1)} ms, engine floor ${(1000 * engine.up.seconds / objectsN).toFixed(1)} ms`);
      }
    }
  }
}
