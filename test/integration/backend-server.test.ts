// Backend and Server through the real Pulumi CLI (Automation API on a program
// in a folder), against real HAProxy + dataplaneapi, for each generation.
import { startBench, type Bench } from "../bench/bench";
import { programStack, type Declared, type ProgramStack } from "../support/pulumi";
import { startUpstream, sendThrough, type Upstream } from "../support/upstreams";
import { startRouter, type Router } from "../support/router";
import { accessLogLines, configVersion, haproxyCfg, openTransactions, rawGet, rawWrite, reloadCount } from "../support/dpapi";
import { describeWith, GENERATIONS } from "../support/requires";

const writesIn = (lines: string[]) => lines.filter((l) => /\\?"(POST|PUT|DELETE) \//.test(l));

function declared(ups: Upstream[], o: { weight1?: number; maintenance2?: boolean; backendName?: string } = {}): Declared[] {
  return [
    { type: "Backend", name: "api", args: { name: o.backendName ?? "api", mode: "http", balance: { algorithm: "roundrobin" },
      healthCheck: { method: "GET", uri: "/healthz" }, timeouts: { connect: 4000, server: 20000 } } },
    { type: "Server", name: "api-1", args: { backend: { $ref: "api.name" }, address: "127.0.0.1", port: ups[0].port, weight: o.weight1 ?? 100 } },
    { type: "Server", name: "api-2", args: { backend: { $ref: "api.name" }, address: "127.0.0.1", port: ups[1].port, weight: 100,
      maintenance: o.maintenance2 ?? false } },
  ];
}

for (const gen of GENERATIONS) {
  describeWith([gen, "pulumi"], `Backend and Server with dataplaneapi ${gen}`, () => {
    let bench: Bench;
    let ps: ProgramStack;
    let ups: Upstream[];
    let router: Router;
    let backendsBefore: string[];
    let cfgBefore: string;

    const backendNames = async () =>
      ((await rawGet(bench, "/services/haproxy/configuration/backends")) as { data?: unknown[] } | unknown[]);
    const names = async () => {
      const body = await backendNames();
      const list = (Array.isArray(body) ? body : (body.data ?? [])) as Array<{ name: string }>;
      return list.map((b) => b.name).sort();
    };

    beforeAll(async () => {
      bench = await startBench({ dataplane: gen });
      ups = [await startUpstream("one"), await startUpstream("two"), await startUpstream("three")];
      router = await startRouter(bench);
      ps = await programStack(bench);
      backendsBefore = await names();
      cfgBefore = haproxyCfg(bench);
    });
    afterAll(async () => {
      await ps?.dispose();
      await bench?.stop();
      for (const u of ups ?? []) await u.close();
    });
    afterEach(async () => {
      expect(await openTransactions(bench)).toEqual([]);
    });

    test("up creates the backend and servers: they are in haproxy.cfg and traffic reaches both servers", async () => {
      await ps.declare(declared(ups));
      const res = await ps.stack.up();
      expect(res.summary.resourceChanges).toMatchObject({ create: 4 });
      const cfg = haproxyCfg(bench);
      expect(cfg).toMatch(/^backend api$/m);
      expect(cfg).toMatch(new RegExp(`server api-1 127\\.0\\.0\\.1:${ups[0].port}`));
      expect(cfg).toMatch(/option httpchk GET \/healthz/);
      // Right after `up`: no server left in maintenance, both answer.
      expect(await sendThrough(router, "api", 4)).toEqual({ one: 2, two: 2 });
      // A second preview is a no-op: nothing to change after a create.
      const preview = await ps.stack.preview();
      expect(preview.changeSummary).toEqual({ same: 4 });
    });

    test("preview --diff after a weight change shows only that field and writes nothing", async () => {
      await ps.declare(declared(ups, { weight1: 40 }));
      const version = await configVersion(bench);
      const writes = writesIn(accessLogLines(bench)).length;
      const preview = await ps.stack.preview({ diff: true });
      expect(preview.changeSummary).toMatchObject({ update: 1, same: 3 });
      expect(preview.stdout).toMatch(/~\s*weight\s*:\s*100\s*=>\s*40/);
      expect(preview.stdout).not.toMatch(/__provider/);
      expect(preview.stdout).not.toMatch(/~\s*(address|port|name|backend)\s*:/);
      expect(await configVersion(bench)).toBe(version);
      expect(writesIn(accessLogLines(bench)).length).toBe(writes);
    });

    test("up applies a weight change without reloading HAProxy", async () => {
      const reloads = await reloadCount(bench);
      const res = await ps.stack.up();
      expect(res.summary.resourceChanges).toMatchObject({ update: 1 });
      expect(await bench.runtime("get weight api/api-1")).toMatch(/^40 \(initial/);
      expect(await reloadCount(bench)).toBe(reloads);
    });

    test("maintenance takes a server out of traffic without a reload, and back", async () => {
      const reloads = await reloadCount(bench);
      await ps.declare(declared(ups, { weight1: 40, maintenance2: true }));
      await ps.stack.up();
      expect(await sendThrough(router, "api", 4)).toEqual({ one: 4 });
      await ps.declare(declared(ups, { weight1: 40 }));
      await ps.stack.up();
      expect(Object.keys(await sendThrough(router, "api", 6)).sort()).toEqual(["one", "two"]);
      expect(await reloadCount(bench)).toBe(reloads);
    });

    test("refresh shows a change made outside Pulumi as drift, and up repairs it", async () => {
      const path = gen === "v3" ? "/services/haproxy/configuration/backends/api/servers/api-1" : "/services/haproxy/configuration/servers/api-1?backend=api";
      const outside = await rawWrite(bench, "PUT", path, { name: "api-1", address: "127.0.0.1", port: ups[0].port, weight: 7, maintenance: "disabled" });
      expect(outside.status).toBeLessThan(300);
      const refresh = await ps.stack.refresh();
      expect(refresh.summary.resourceChanges).toMatchObject({ update: 1 });
      const preview = await ps.stack.preview({ diff: true });
      expect(preview.stdout).toMatch(/~\s*weight\s*:\s*7\s*=>\s*40/);
      await ps.stack.up();
      expect(await bench.runtime("get weight api/api-1")).toMatch(/^40 /);
    });

    test("refresh reports a server deleted outside Pulumi as gone, and up recreates it", async () => {
      const path = gen === "v3" ? "/services/haproxy/configuration/backends/api/servers/api-2" : "/services/haproxy/configuration/servers/api-2?backend=api";
      expect((await rawWrite(bench, "DELETE", path)).status).toBeLessThan(300);
      const refresh = await ps.stack.refresh();
      expect(refresh.summary.resourceChanges).toMatchObject({ delete: 1 });
      const up = await ps.stack.up();
      expect(up.summary.resourceChanges).toMatchObject({ create: 1 });
      expect(haproxyCfg(bench)).toMatch(/server api-2 /);
      // Created alone, so DPAPI v3 adds it through the runtime API: it must take traffic at once.
      expect(Object.keys(await sendThrough(router, "api", 10)).sort()).toEqual(["one", "two"]);
    });

    test("bad inputs fail in check, naming the field, before any request", async () => {
      const cases: Array<[Declared[], RegExp]> = [
        [[{ type: "Backend", name: "bad", args: { name: "has space" } }], /name: must be letters, digits/],
        [[{ type: "Backend", name: "bad", args: { balance: { algorithm: "fastest" } } }], /balance\.algorithm: Invalid option: expected one of "first"\|/],
        [[{ type: "Server", name: "bad", args: { backend: "api", address: "127.0.0.1", port: 0 } }], /Server "bad": port: must be from 1 to 65535/],
        [[{ type: "Server", name: "bad", args: { backend: "api", address: "127.0.0.1", port: 70000 } }], /Server "bad": port: must be from 1 to 65535/],
      ];
      for (const [extra, message] of cases) {
        await ps.declare([...declared(ups, { weight1: 40 }), ...extra]);
        const version = await configVersion(bench);
        const writes = writesIn(accessLogLines(bench)).length;
        await expect(ps.stack.up()).rejects.toThrow(message);
        expect(await configVersion(bench)).toBe(version);
        expect(writesIn(accessLogLines(bench)).length).toBe(writes);
      }
      await ps.declare(declared(ups, { weight1: 40 }));
    });

    test("the DPAPI password is not in the state nor in preview output", async () => {
      const state = ps.storedState();
      expect(state).toContain('"haproxy-dataplane:password"');
      expect(state).not.toContain(bench.dataplane!.password);
      const preview = await ps.stack.preview({ diff: true });
      expect(preview.stdout).not.toContain(bench.dataplane!.password);
    });

    test("renaming a backend replaces it (and its servers) delete-before-create", async () => {
      await ps.declare(declared(ups, { weight1: 40, backendName: "api_v2" }));
      const res = await ps.stack.up();
      expect(res.summary.resourceChanges).toMatchObject({ replace: 3 });
      const cfg = haproxyCfg(bench);
      expect(cfg).toMatch(/^backend api_v2$/m);
      expect(cfg).not.toMatch(/^backend api$/m);
      expect(Object.keys(await sendThrough(router, "api_v2", 10)).sort()).toEqual(["one", "two"]);
    });

    test("destroy removes everything and leaves haproxy.cfg's sections as before", async () => {
      await ps.stack.destroy();
      expect(await names()).toEqual(backendsBefore);
      const sections = (cfg: string) => cfg.split("\n").filter((l) => /^(frontend|backend|listen) /.test(l)).map((l) => l.replace(/ from \S+/, ""));
      expect(sections(haproxyCfg(bench))).toEqual(sections(cfgBefore));
    });

    test("two stacks running up at the same time against one DPAPI both succeed", async () => {
      const other = await programStack(bench, { stackName: "other" });
      try {
        await ps.declare([{ type: "Backend", name: "left", args: { balance: { algorithm: "roundrobin" } } },
          { type: "Server", name: "l1", args: { backend: { $ref: "left.name" }, address: "127.0.0.1", port: ups[0].port } }]);
        await other.declare([{ type: "Backend", name: "right", args: { balance: { algorithm: "leastconn" } } },
          { type: "Server", name: "r1", args: { backend: { $ref: "right.name" }, address: "127.0.0.1", port: ups[2].port } }]);
        const [a, b] = await Promise.all([ps.stack.up(), other.stack.up()]);
        // The first stack was destroyed before, so its Stack resource is created again.
        expect(a.summary.resourceChanges).toMatchObject({ create: 3 });
        expect(b.summary.resourceChanges).toMatchObject({ create: 3 });
        expect(await sendThrough(router, "left", 1)).toEqual({ one: 1 });
        expect(await sendThrough(router, "right", 1)).toEqual({ three: 1 });
        await Promise.all([ps.stack.destroy(), other.stack.destroy()]);
      } finally {
        await other.dispose();
      }
    });
  });
}
