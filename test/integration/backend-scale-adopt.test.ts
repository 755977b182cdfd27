// Group commit through a real `pulumi up`, and taking over objects that already exist.
import { startBench, type Bench } from "../bench/bench";
import { programStack, type Declared, type ProgramStack } from "../support/pulumi";
import { haproxyCfg, rawGet, rawWrite, reloadCount } from "../support/dpapi";
import { describeWith, GENERATIONS } from "../support/requires";

for (const gen of GENERATIONS) {
  describeWith([gen, "pulumi"], `many resources and adoption with dataplaneapi ${gen}`, () => {
    let bench: Bench;
    let ps: ProgramStack;
    beforeAll(async () => {
      bench = await startBench({ dataplane: gen });
      ps = await programStack(bench);
    });
    afterAll(async () => { await ps?.dispose(); await bench?.stop(); });

    test("20 backends with 9 servers each in one up share reloads instead of one per resource", async () => {
      const resources: Declared[] = [];
      for (let i = 0; i < 20; i++) {
        resources.push({ type: "Backend", name: `be${i}`, args: { balance: { algorithm: "roundrobin" } } });
        for (let j = 0; j < 9; j++) {
          resources.push({ type: "Server", name: `be${i}-s${j}`, args: { backend: { $ref: `be${i}.name` }, address: "127.0.0.1", port: 20000 + j } });
        }
      }
      await ps.declare(resources);
      const before = await reloadCount(bench);
      const res = await ps.stack.up({ parallel: 64 });
      expect(res.summary.resourceChanges).toMatchObject({ create: 201 });
      const reloads = (await reloadCount(bench)) - before;
      expect(reloads).toBeLessThan(20);
      const cfg = haproxyCfg(bench);
      expect(cfg.match(/^\s+server be\d+-s\d /gm)).toHaveLength(180);
      await ps.stack.destroy({ parallel: 64 });
      expect(haproxyCfg(bench)).not.toMatch(/^backend be\d+$/m);
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
