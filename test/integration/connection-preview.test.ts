// Where the endpoint comes from (stack config, environment, per-resource
// connection), unknown values in preview, and draining a server.
import { startBench, type Bench } from "../bench/bench";
import { programStack, type Declared } from "../support/pulumi";
import { startUpstream, sendThrough, type Upstream } from "../support/upstreams";
import { startRouter, type Router } from "../support/router";
import { haproxyCfg, reloadCount } from "../support/dpapi";
import { describeWith } from "../support/requires";

const pair = (port: number, extra: Record<string, unknown> = {}): Declared[] => [
  { type: "Backend", name: "web", args: { balance: { algorithm: "roundrobin" } } },
  { type: "Server", name: "web-1", args: { backend: { $ref: "web.name" }, address: "127.0.0.1", port, ...extra } },
];

describeWith(["v3", "pulumi"], "connections, previews and draining", () => {
  let bench: Bench;
  let other: Bench;
  let up: Upstream;
  let router: Router;
  beforeAll(async () => {
    [bench, other] = await Promise.all([startBench({ dataplane: "v3" }), startBench({ dataplane: "v3" })]);
    up = await startUpstream("web");
    router = await startRouter(bench);
  });
  afterAll(async () => { await up?.close(); await bench?.stop(); await other?.stop(); });

  test("preview of a new stack accepts values that are still unknown (a server's backend)", async () => {
    const ps = await programStack(bench);
    try {
      await ps.declare(pair(up.port));
      const preview = await ps.stack.preview();
      expect(preview.changeSummary).toMatchObject({ create: 3 });
    } finally { await ps.dispose(); }
  });

  test("without stack config, HAPROXY_DATAPLANE_* environment variables are used", async () => {
    const ps = await programStack(bench, { stackName: "envonly" });
    try {
      for (const k of ["url", "username", "password"]) await ps.stack.removeConfig(`haproxy-dataplane:${k}`);
      const dp = bench.dataplane!;
      Object.assign(ps.stack.workspace.envVars, {
        HAPROXY_DATAPLANE_URL: dp.url, HAPROXY_DATAPLANE_USERNAME: dp.username, HAPROXY_DATAPLANE_PASSWORD: dp.password,
      });
      await ps.declare(pair(up.port));
      await ps.stack.up();
      expect(await sendThrough(router, "web", 2)).toEqual({ web: 2 });
      await ps.stack.destroy();
    } finally { await ps.dispose(); }
  });

  test("a resource with its own connection goes to that HAProxy; its password stays secret", async () => {
    const ps = await programStack(bench, { stackName: "two-nodes" });
    try {
      const o = other.dataplane!;
      await ps.declare([
        { type: "Backend", name: "edge", args: { connection: { url: o.url, username: o.username, password: o.password } } },
        { type: "Backend", name: "core" },
      ], { secret: true });
      await ps.stack.up();
      expect(haproxyCfg(other)).toMatch(/^backend edge$/m);
      expect(haproxyCfg(other)).not.toMatch(/^backend core$/m);
      expect(haproxyCfg(bench)).toMatch(/^backend core$/m);
      expect(haproxyCfg(bench)).not.toMatch(/^backend edge$/m);
      expect(ps.storedState()).not.toContain(o.password);
      await ps.stack.destroy();
      expect(haproxyCfg(other)).not.toMatch(/^backend edge$/m);
    } finally { await ps.dispose(); }
  });

  test("drain sets the runtime weight to 0 without a reload; undrain restores it", async () => {
    const ps = await programStack(bench, { stackName: "drain" });
    try {
      await ps.declare(pair(up.port, { weight: 30 }));
      await ps.stack.up();
      const reloads = await reloadCount(bench);
      await ps.declare(pair(up.port, { weight: 30, drain: true }));
      const res = await ps.stack.up();
      expect(res.summary.resourceChanges).toMatchObject({ update: 1 });
      expect(await bench.runtime("get weight web/web-1")).toMatch(/^0 /);
      expect((await ps.stack.preview()).changeSummary).toMatchObject({ same: 3 });
      await ps.declare(pair(up.port, { weight: 30 }));
      await ps.stack.up();
      expect(await bench.runtime("get weight web/web-1")).toMatch(/^30 /);
      expect(await reloadCount(bench)).toBe(reloads);
      await ps.stack.destroy();
    } finally { await ps.dispose(); }
  });
});
