// Scale through a real `pulumi up` with the CLI's defaults (as users run it), and taking over objects that already exist.
import { startBench, type Bench } from "../bench/bench";
import { programStack, type Declared, type ProgramStack } from "../support/pulumi";
import { haproxyCfg, rawGet, rawWrite, reloadCount } from "../support/dpapi";
import { describeWith, GENERATIONS } from "../support/requires";
import { sendThrough, startUpstream, type Upstream } from "../support/upstreams";
import { startRouter, type Router } from "../support/router";

/**
 * Reloads a 20-backend `up` may cost. The CLI's --parallel 8 hands the backends over in 3 waves, and an idle
 * machine sees 3 (the benchmarks print the figure); on a loaded CI machine the engine's waves arrive ragged
 * and a wave can split. One reload per backend would be 20 (this package before batching reloaded 48 times).
 */
const BATCHED_RELOADS = 6;

for (const gen of GENERATIONS) {
  describeWith([gen, "pulumi"], `many resources and adoption with dataplaneapi ${gen}`, () => {
    let bench: Bench;
    let ps: ProgramStack;
    let up: Upstream;
    let router: Router;
    beforeAll(async () => {
      bench = await startBench({ dataplane: gen });
      ps = await programStack(bench);
      up = await startUpstream("up");
      router = await startRouter(bench);
    });
    afterAll(async () => { await up?.close(); await ps?.dispose(); await bench?.stop(); });

    /** Requests through each backend (roundrobin, one per server), then each server's session count from `show stat`. */
    async function sessionsPerServer(backends: number, servers: number): Promise<number[]> {
      for (let i = 0; i < backends; i++) await sendThrough(router, `be${i}`, servers);
      const stat = await bench.runtime("show stat -1 4 -1");
      const header = stat.split("\n")[0].replace(/^# /, "").split(",");
      const stot = header.indexOf("stot");
      return stat.split("\n").filter((l) => /^be\d+,/.test(l)).map((l) => Number(l.split(",")[stot]));
    }

    test("200 objects (20 Backend + 180 Server resources) with the CLI's default --parallel: a few batched reloads, every server serving", async () => {
      const resources: Declared[] = [];
      for (let i = 0; i < 20; i++) {
        resources.push({ type: "Backend", name: `be${i}`, args: { balance: { algorithm: "roundrobin" } } });
        for (let j = 0; j < 9; j++) {
          resources.push({ type: "Server", name: `be${i}-s${j}`, args: { backend: { $ref: `be${i}.name` }, address: "127.0.0.1", port: up.port } });
        }
      }
      await ps.declare(resources);
      const before = await reloadCount(bench);
      // A failure here must not leave 200 objects behind for the next test.
      const res = await ps.stack.up().catch(async (e) => { await ps.stack.destroy().catch(() => undefined); throw e; });
      expect(res.summary.resourceChanges).toMatchObject({ create: 201 });
      expect((await reloadCount(bench)) - before).toBeLessThanOrEqual(BATCHED_RELOADS);
      expect(haproxyCfg(bench).match(/^\s+server be\d+-s\d /gm)).toHaveLength(180);
      const sessions = await sessionsPerServer(20, 9);
      expect(sessions).toHaveLength(180);
      expect(sessions.filter((n) => n < 1)).toEqual([]);
      await ps.stack.destroy();
      // DPAPI writes `backend be0 from unnamed_defaults_1`: match the name, not the whole line.
      expect(haproxyCfg(bench)).not.toMatch(/^backend be\d+\b/m);
    });

    test("20 backends with 9 inline servers each: a few batched reloads, and one server's weight changes with no reload", async () => {
      const servers = (i: number, w = 10) => Array.from({ length: 9 }, (_, j) => ({ name: `s${j}`, address: "127.0.0.1", port: up.port, weight: j === 0 ? w : 10 }));
      const declare = (w: number) => ps.declare(Array.from({ length: 20 }, (_, i) =>
        ({ type: "Backend" as const, name: `be${i}`, args: { balance: { algorithm: "roundrobin" }, servers: servers(i, i === 3 ? w : 10) } })));
      await declare(10);
      const before = await reloadCount(bench);
      expect((await ps.stack.up()).summary.resourceChanges).toMatchObject({ create: 21 });
      expect((await reloadCount(bench)) - before).toBeLessThanOrEqual(BATCHED_RELOADS);
      expect(haproxyCfg(bench).match(/^\s+server s\d /gm)).toHaveLength(180);
      expect((await sessionsPerServer(20, 9)).filter((n) => n < 1)).toEqual([]);

      await declare(42);
      const preview = await ps.stack.preview({ diff: true });
      expect(preview.changeSummary).toMatchObject({ update: 1, same: 20 });
      // Diffed by name: the change names the server, not a list index.
      expect(preview.stdout).toMatch(/s0: \{[\s\S]*weight\s*: 10 => 42/);
      const reloads = await reloadCount(bench);
      expect((await ps.stack.up()).summary.resourceChanges).toMatchObject({ update: 1 });
      expect(await reloadCount(bench)).toBe(reloads);
      expect(await bench.runtime("get weight be3/s0")).toMatch(/^42 /);
      expect((await ps.stack.refresh()).summary.resourceChanges).not.toHaveProperty("update");
      await ps.stack.destroy();
      expect(haproxyCfg(bench)).not.toMatch(/^backend be\d+\b/m);
    });

    test("creating a backend that exists fails with 'already exists' and says how to adopt it", async () => {
      expect((await rawWrite(bench, "POST", "/services/haproxy/configuration/backends", { name: "legacy", balance: { algorithm: "source" } })).status).toBe(202);
      await ps.declare([{ type: "Backend", name: "legacy", args: { balance: { algorithm: "roundrobin" } } }]);
      await expect(ps.stack.up()).rejects.toThrow(/Backend "legacy" already exists in HAProxy.*set `adopt: true`/s);
    });

    test("adopt: true takes over the existing backend and its server, then manages them", async () => {
      const serverPath = gen === "v3" ? "/services/haproxy/configuration/backends/legacy/servers" : "/services/haproxy/configuration/servers?backend=legacy";
      expect((await rawWrite(bench, "POST", serverPath, { name: "old1", address: "127.0.0.1", port: 9999, weight: 5 })).status).toBeLessThan(300);
      await ps.declare([
        { type: "Backend", name: "legacy", args: { balance: { algorithm: "roundrobin" }, adopt: true } },
        { type: "Server", name: "old1", args: { backend: { $ref: "legacy.name" }, address: "127.0.0.1", port: 9999, weight: 50, adopt: true } },
      ]);
      const res = await ps.stack.up();
      expect(res.summary.resourceChanges).toMatchObject({ create: 2 });
      expect(haproxyCfg(bench)).toMatch(/^backend legacy\n(?:.*\n)*?\s+balance roundrobin/m);
      expect(await bench.runtime("get weight legacy/old1")).toMatch(/^50 /);
      expect((await ps.stack.preview()).changeSummary).toMatchObject({ same: 3 });
      await ps.stack.destroy();
      const list = (await rawGet(bench, "/services/haproxy/configuration/backends")) as unknown;
      const names = (Array.isArray(list) ? list : (list as { data: unknown[] }).data) as Array<{ name: string }>;
      expect(names.map((b) => b.name)).not.toContain("legacy");
    });
  });
}
