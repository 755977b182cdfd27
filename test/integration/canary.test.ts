// Canary splits through the real CLI, both generations: the observed share of each
// backend over 3,000 requests is its declared weight, a weight shift reloads nothing
// and shows in preview as the weights alone, the split survives a reload, and a
// failed create leaves nothing behind.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { freePort, startBench, type Bench } from "../bench/bench";
import { programStack, type Declared, type ProgramStack } from "../support/pulumi";
import { haproxyCfg, openTransactions, rawGet, reloadCount } from "../support/dpapi";
import { startUpstream, tally, type Upstream } from "../support/upstreams";
import { describeWith, GENERATIONS } from "../support/requires";

const REQUESTS = 3000;

for (const gen of GENERATIONS) {
  describeWith([gen, "pulumi"], `canary split with dataplaneapi ${gen}`, () => {
    let bench: Bench;
    let ps: ProgramStack;
    let ups: Record<string, Upstream>;
    let port: number;

    function declared(v1: number, v2: number, o: { extraAcl?: boolean; canaryBackend?: string } = {}): Declared[] {
      const backend = (name: string, up: string) => ({ type: "Backend" as const, name, args: { balance: { algorithm: "roundrobin" },
        servers: [{ name: "s1", address: "127.0.0.1", port: ups[up].port }] } });
      return [
        backend("app-v1", "v1"), backend("app-v2", "v2"),
        { type: "Frontend", name: "web", args: {
          mode: "http",
          binds: [{ address: "127.0.0.1", port }],
          acls: [{ name: "host_app", criterion: "hdr(host)", value: "app.example.com" },
            ...(o.extraAcl ? [{ name: "is_health", criterion: "path", value: "/health" }] : [])],
          routes: [{ if: "host_app", split: [{ backend: { $ref: "app-v1.name" }, weight: v1 }, { backend: o.canaryBackend ?? { $ref: "app-v2.name" }, weight: v2 }] }],
          defaultBackend: { $ref: "app-v1.name" },
        } },
      ];
    }

    /** The share (percent) of REQUESTS that the canary answered, after checking that every request was answered. */
    async function canaryShare(): Promise<number> {
      const seen = await tally(port, "app.example.com", REQUESTS);
      expect((seen.v1 ?? 0) + (seen.v2 ?? 0)).toBe(REQUESTS);
      return (100 * (seen.v2 ?? 0)) / REQUESTS;
    }

    const storedMaps = async () => ((await rawGet(bench, "/services/haproxy/storage/maps")) as Array<{ storage_name: string }> ?? []).map((m) => m.storage_name);

    beforeAll(async () => {
      bench = await startBench({ dataplane: gen });
      ups = { v1: await startUpstream("v1"), v2: await startUpstream("v2") };
      port = await freePort();
      ps = await programStack(bench);
    });
    afterAll(async () => {
      await ps?.dispose();
      await bench?.stop();
      for (const u of Object.values(ups ?? {})) await u.close();
    });
    afterEach(async () => { expect(await openTransactions(bench)).toEqual([]); });

    test("a 90/10 split sends 10 % (±3) of 3,000 requests to the canary; other hosts go to the default backend", async () => {
      await ps.declare(declared(90, 10));
      expect((await ps.stack.up()).summary.resourceChanges).toMatchObject({ create: 4 });
      const share = await canaryShare();
      expect(Math.abs(share - 10)).toBeLessThanOrEqual(3);
      expect(await tally(port, "other.example.com", 50)).toEqual({ v1: 50 });
      expect((await ps.stack.preview()).changeSummary).toEqual({ same: 4 });
    });

    test("shifting to 50/50 previews as the two weights only, reloads nothing, and 50 % (±3) reach the canary", async () => {
      await ps.declare(declared(50, 50));
      const preview = await ps.stack.preview({ diff: true });
      expect(preview.changeSummary).toMatchObject({ update: 1, same: 3 });
      expect(preview.stdout).toMatch(/weight\s*:\s*90\s*=>\s*50/);
      expect(preview.stdout).toMatch(/weight\s*:\s*10\s*=>\s*50/);
      expect(preview.stdout).not.toMatch(/~\s*(backend|if|address|port|criterion|value)\s*:/);
      const cfg = haproxyCfg(bench);
      const reloads = await reloadCount(bench);
      expect((await ps.stack.up()).summary.resourceChanges).toMatchObject({ update: 1 });
      expect(await reloadCount(bench)).toBe(reloads);
      expect(haproxyCfg(bench)).toBe(cfg);
      expect(Math.abs((await canaryShare()) - 50)).toBeLessThanOrEqual(3);
      expect((await ps.stack.refresh()).summary.resourceChanges).not.toHaveProperty("update");
    });

    test("the split survives a reload, and a weight of 0 sends nothing there", async () => {
      // The ACL makes this update reload HAProxy, which then reads the split from the stored map file.
      await ps.declare(declared(0, 100, { extraAcl: true }));
      const reloads = await reloadCount(bench);
      expect((await ps.stack.up()).summary.resourceChanges).toMatchObject({ update: 1 });
      expect(await reloadCount(bench)).toBeGreaterThan(reloads);
      expect(await tally(port, "app.example.com", 300)).toEqual({ v2: 300 });
      await ps.declare(declared(50, 50, { extraAcl: true }));
      await ps.stack.up();
      // HAProxy reloaded by hand reads the split from the stored file.
      execFileSync(join(bench.dir, "reload.sh"));
      expect(Math.abs((await canaryShare()) - 50)).toBeLessThanOrEqual(3);
    });

    test("destroy removes the frontend and its split map", async () => {
      expect(await storedMaps()).toContain("web_splits.map");
      await ps.stack.destroy();
      expect(haproxyCfg(bench)).not.toMatch(/^frontend web\b/m);
      expect(await storedMaps()).not.toContain("web_splits.map");
    });

    test("a split naming a backend that does not exist fails naming the field, and leaves no frontend and no map", async () => {
      await ps.declare(declared(90, 10, { canaryBackend: "app-v3" }));
      await expect(ps.stack.up()).rejects.toThrow(/Frontend "web": no such backend: routes\[0\]\.split\[1\]\.backend: app-v3/);
      expect(haproxyCfg(bench)).not.toMatch(/^frontend web\b/m);
      expect(await storedMaps()).not.toContain("web_splits.map");
      await ps.stack.destroy();
    });
  });
}
