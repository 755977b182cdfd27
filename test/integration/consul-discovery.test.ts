// ConsulDiscovery through the real Pulumi CLI, against a real Consul agent
// (ACLs on, default deny, so nothing is seen without the token), a real
// dataplaneapi and a real HAProxy, for each API generation. Ground truth is
// read from Consul, from HAProxy's runtime socket, from haproxy.cfg and by
// sending requests through a frontend that routes by header (test/support/router.ts).
//
// Each test uses service names of its own: DPAPI binds a backend to the first
// discovery that tracks it until DPAPI restarts (see the DPAPI notes in
// examples/consul/README.md), so two tests must never share one.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import Consul from "consul";
import { startBench, sleep, type Bench } from "../bench/bench";
import { programStack, type ProgramStack } from "../support/pulumi";
import { startUpstream, sendThrough, type Upstream } from "../support/upstreams";
import { startRouter, type Router } from "../support/router";
import { haproxyCfg, openTransactions, consulDiscoveries, rawGet } from "../support/dpapi";
import { describeWith, GENERATIONS } from "../support/requires";

const TOKEN = `acl-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
const TYPE = "pulumi-nodejs:dynamic/haproxy:ConsulDiscovery";

/** Polls until `probe` returns something truthy; fails with the last value after the deadline. */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T>): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await sleep(200);
  }
}

interface SlotState { name: string; address: string; port: number; active: boolean }

/** The backend's servers as HAProxy runs them (`show servers state`); active = not in maintenance. */
async function runtimeSlots(bench: Bench, backend: string): Promise<SlotState[] | undefined> {
  const out = await bench.runtime(`show servers state ${backend}`);
  const lines = out.split("\n").filter(Boolean);
  const header = lines.find((l) => l.startsWith("# be_id"));
  if (!header) return undefined;
  const cols = header.slice(2).split(" ");
  const at = (row: string[], c: string) => row[cols.indexOf(c)];
  return lines.filter((l) => /^\d+ /.test(l) && l.split(" ")[1] === backend).map((l) => {
    const row = l.split(" ");
    return { name: at(row, "srv_name"), address: at(row, "srv_addr"), port: Number(at(row, "srv_port")), active: at(row, "srv_admin_state") === "0" };
  });
}

const activePorts = (slots: SlotState[] | undefined) => (slots ?? []).filter((s) => s.active).map((s) => s.port).sort((a, b) => a - b);

/** The servers DPAPI wrote for a backend (its configuration API, both generations). */
async function configSlots(bench: Bench, backend: string): Promise<Array<{ address: string; port?: number; maintenance?: string }>> {
  const path = bench.dataplane!.generation === "v3"
    ? `/services/haproxy/configuration/backends/${backend}/servers`
    : `/services/haproxy/configuration/servers?backend=${backend}`;
  const body = (await rawGet(bench, path)) as { data?: unknown } | unknown[] | null;
  const list = Array.isArray(body) ? body : (body as { data?: unknown[] } | null)?.data;
  return Array.isArray(list) ? list as Array<{ address: string; port?: number; maintenance?: string }> : [];
}


/** Every file of a stack's folder (state, backups, history, config, PULUMI_HOME), without node_modules. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).filter((n) => n !== "node_modules").flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

for (const gen of GENERATIONS) {
  describeWith([gen, "consul", "pulumi"], `ConsulDiscovery with dataplaneapi ${gen} and a real Consul`, () => {
    let bench: Bench;
    let consul: Consul;
    let router: Router;
    const upstreams: Upstream[] = [];
    const stacks: ProgramStack[] = [];
    let output = "";
    const onOutput = (s: string) => { output += s; };

    const backendOf = (service: string) => `consul-backend-127.0.0.1-${bench.consul!.port}-${service}`;
    const upstream = async (name: string) => { const u = await startUpstream(name); upstreams.push(u); return u; };
    const register = (service: string, u: Upstream, extra: Record<string, unknown> = {}) =>
      consul.agent.service.register({ name: service, id: u.name, address: "127.0.0.1", port: u.port, ...extra } as unknown as { name: string });
    const stack = async () => {
      const ps = await programStack(bench);
      stacks.push(ps);
      // The token reaches the program the way a user's does: as a secret stack config value.
      await ps.stack.setConfig("bench-program:consulToken", { value: TOKEN, secret: true });
      return ps;
    };
    const discovery = (args: Record<string, unknown>) => [{
      type: "ConsulDiscovery" as const, name: "consul",
      args: { address: "127.0.0.1", port: bench.consul!.port, token: { $secretConfig: "consulToken" }, retryTimeout: 1, ...args },
    }];
    /** No file Pulumi wrote for this stack (state, its backups and history, config, logs) holds the secret in plain text. */
    const expectNowhereInStack = (ps: ProgramStack, secret: string) => {
      for (const f of filesUnder(ps.dir)) expect([f, readFileSync(f, "utf8").includes(secret)]).toEqual([f, false]);
    };
    /** The discovery's state (exported with secrets decrypted), after checking the token is nowhere in plain text on disk. */
    const exported = async (ps: ProgramStack) => {
      expectNowhereInStack(ps, TOKEN);
      const dep = await ps.stack.exportStack();
      return (dep.deployment as { resources?: Array<{ type: string; id: string; outputs: Record<string, unknown> }> }).resources
        ?.find((r) => r.type === TYPE);
    };
    /** Traffic through HAProxy reaches exactly these upstreams (polls until it does). */
    const servesExactly = (backend: string, names: string[]) => until(`${backend} serves ${names.join(",")}`, 20_000, async () => {
      const seen = await sendThrough(router, backend, names.length * 3);
      return Object.keys(seen).sort().join(",") === [...names].sort().join(",") ? seen : undefined;
    });

    beforeAll(async () => {
      bench = await startBench({ dataplane: gen, consul: true, consulAclToken: TOKEN });
      consul = new Consul({ host: "127.0.0.1", port: bench.consul!.port, defaults: { token: TOKEN } });
      router = await startRouter(bench);
    });
    afterAll(async () => {
      consul?.destroy();
      for (const ps of stacks) await ps.dispose();
      await bench?.stop();
      for (const u of upstreams) await u.close();
    });
    afterEach(async () => {
      // A failed test may leave its stacks up: take them down so that the next test starts clean.
      const fresh = stacks.splice(0);
      for (const ps of fresh) {
        await ps.stack.destroy().catch(() => undefined);
        await ps.dispose();
      }
      // Every test leaves the catalog empty, no discovery behind, no transaction open, and no token in any output.
      for (const id of Object.keys(await consul.agent.service.list())) await consul.agent.service.deregister(id);
      expect(await consulDiscoveries(bench)).toEqual([]);
      expect(await openTransactions(bench)).toEqual([]);
      expect(output).not.toContain(TOKEN);
    });

    test("3 instances → a backend with 3 active servers serving traffic; 12 more → slots grow; down to 1 → spares in maintenance", async () => {
      const ups = await Promise.all([1, 2, 3].map((i) => upstream(`web-${i}`)));
      for (const u of ups) await register("web", u);
      const ps = await stack();
      await ps.declare(discovery({ serviceAllowlist: ["web"], waitForBackends: true, waitTimeout: 30 }));
      const up = await ps.stack.up({ onOutput });
      expect(up.summary.resourceChanges).toMatchObject({ create: 2 });

      // The output names the backend DPAPI made; waitForBackends returned only once HAProxy runs it.
      const state = await exported(ps);
      expect(state?.outputs.backendNames).toEqual({ web: backendOf("web") });
      expect(state?.outputs.watcher).toBe("running");
      const slots = await runtimeSlots(bench, backendOf("web"));
      expect(activePorts(slots)).toEqual(ups.map((u) => u.port).sort((a, b) => a - b));
      expect(slots).toHaveLength(10);
      expect(slots!.filter((s) => !s.active).every((s) => s.address === "127.0.0.1" && s.port === 80)).toBe(true);
      await servesExactly(backendOf("web"), ["web-1", "web-2", "web-3"]);

      // Where DPAPI keeps the definition (with the token in plain text, outside Pulumi's reach).
      const id = state!.id;
      const store = gen === "v2" ? join(bench.dir, "dataplaneapi.yaml") : join(bench.dir, "dataplane", "service_discovery", "consul.json");
      expect(existsSync(store) && readFileSync(store, "utf8")).toContain(id);

      // Nothing to do on a second preview, and a refresh finds the watcher running.
      expect((await ps.stack.preview({ onOutput })).changeSummary).toEqual({ same: 2 });
      await ps.stack.refresh({ onOutput, expectNoChanges: true });
      expectNowhereInStack(ps, TOKEN);

      // 12 more: every slot is taken, the backend grows (exponential: 10 → 20), all 15 take traffic.
      const more = await Promise.all(Array.from({ length: 12 }, (_, i) => upstream(`web-${i + 4}`)));
      for (const u of more) await register("web", u);
      const all = [...ups, ...more];
      await until("15 active servers", 20_000, async () => activePorts(await runtimeSlots(bench, backendOf("web"))).length === 15);
      const grown = (await runtimeSlots(bench, backendOf("web")))!;
      expect(grown).toHaveLength(20);
      expect(activePorts(grown)).toEqual(all.map((u) => u.port).sort((a, b) => a - b));
      await servesExactly(backendOf("web"), all.map((u) => u.name));

      // Down to 1: the others become spare slots in maintenance and the backend shrinks back to its base.
      for (const u of all.slice(1)) await consul.agent.service.deregister(u.name);
      const shrunk: SlotState[] = await until("1 active server in 10 slots", 20_000, async () => {
        const s = await runtimeSlots(bench, backendOf("web"));
        return s && s.length === 10 && activePorts(s).length === 1 ? s : undefined;
      });
      expect(activePorts(shrunk)).toEqual([ups[0].port]);
      expect(shrunk.filter((s) => !s.active).every((s) => s.address === "127.0.0.1" && s.port === 80)).toBe(true);
      expect(haproxyCfg(bench)).toMatch(/server SRV_\w+ 127\.0\.0\.1:80 (check )?disabled/);
      await servesExactly(backendOf("web"), ["web-1"]);

      // Destroy stops the watcher before deleting it: a later registration no longer reaches haproxy.cfg.
      await ps.stack.destroy({ onOutput });
      expect(await consulDiscoveries(bench)).toEqual([]);
      expect(existsSync(store) ? readFileSync(store, "utf8") : "").not.toContain(id);
      await register("web", all[5]);
      await sleep(3000); // three polls of a watcher that should no longer exist
      expect((await configSlots(bench, backendOf("web"))).filter((s) => s.maintenance !== "enabled").map((s) => s.port)).toEqual([ups[0].port]);
    });

    test("with a policy that requires passing checks, a failing health check removes the instance", async () => {
      const ups = await Promise.all([1, 2, 3].map((i) => upstream(`checked-${i}`)));
      for (const u of ups) await register("checked", u, { check: { name: "ttl", ttl: "300s", status: "passing" } });
      const ps = await stack();
      await ps.declare(discovery({ serviceAllowlist: ["checked"], healthCheckPolicy: "all", waitForBackends: true, waitTimeout: 30 }));
      await ps.stack.up({ onOutput });
      await servesExactly(backendOf("checked"), ["checked-1", "checked-2", "checked-3"]);

      await consul.agent.check.fail("service:checked-2");
      await until("checked-2 out of the backend", 20_000, async () =>
        activePorts(await runtimeSlots(bench, backendOf("checked"))).join() === [ups[0].port, ups[2].port].sort((a, b) => a - b).join());
      await servesExactly(backendOf("checked"), ["checked-1", "checked-3"]);

      await consul.agent.check.pass("service:checked-2");
      await servesExactly(backendOf("checked"), ["checked-1", "checked-2", "checked-3"]);
      // The provider applies the same policy: HAProxy and the catalog agree, so a refresh changes nothing.
      await ps.stack.refresh({ onOutput, expectNoChanges: true });
      await ps.stack.destroy({ onOutput });
    });

    test("denylist, allowlist and name regexp select the services that get a backend", async () => {
      const services = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"];
      for (const s of services) await register(s, await upstream(`${s}-1`));
      const names = (...s: string[]) => Object.fromEntries(s.map((n) => [n, backendOf(n)]));
      const follows = async (selection: Record<string, unknown>, expected: string[]) => {
        const ps = await stack();
        await ps.declare(discovery({ ...selection, waitForBackends: true, waitTimeout: 30 }));
        await ps.stack.up({ onOutput });
        expect((await exported(ps))?.outputs.backendNames).toEqual(names(...expected));
        for (const s of expected) await servesExactly(backendOf(s), [`${s}-1`]);
        return ps;
      };

      // Every service but the denied one (a fresh catalog: only this test's services are registered).
      const denying = await follows({ serviceDenylist: ["beta"] }, ["alpha", "delta", "epsilon", "gamma", "zeta"]);
      expect(await runtimeSlots(bench, backendOf("beta"))).toBeUndefined();
      await denying.stack.destroy({ onOutput });

      // Only the allowed one, only the matching one. (Each discovery takes services no earlier one followed:
      // DPAPI keeps a backend bound to the first discovery that followed it until DPAPI restarts.)
      const allowing = await follows({ serviceAllowlist: ["beta"] }, ["beta"]);
      await allowing.stack.destroy({ onOutput });
      for (const s of ["iota", "kappa"]) await register(s, await upstream(`${s}-1`));
      const matching = await follows({ serviceNameRegexp: "^io" }, ["iota"]);
      await matching.stack.destroy({ onOutput });

      // A service added to the allowlist of a running discovery: DPAPI starts following it at its next change in Consul.
      await register("eta", await upstream("eta-1"));
      const ps = await follows({ serviceAllowlist: ["eta"] }, ["eta"]);
      await register("theta", await upstream("theta-1"));
      await ps.declare(discovery({ serviceAllowlist: ["eta", "theta"] }));
      const up = await ps.stack.up({ onOutput });
      expect(up.summary.resourceChanges).toMatchObject({ update: 1 });
      expect((await exported(ps))?.outputs.backendNames).toEqual(names("eta", "theta"));
      await register("theta", await upstream("theta-2"));
      await servesExactly(backendOf("theta"), ["theta-1", "theta-2"]);
      await ps.stack.refresh({ onOutput, expectNoChanges: true });
      await ps.stack.destroy({ onOutput });
    });

    test("inputs are checked before any request: both lists, slots under DPAPI's minimum, min policy without a count", async () => {
      const ps = await stack();
      await ps.declare(discovery({ serviceAllowlist: ["a"], serviceDenylist: ["b"], serverSlots: { base: 5, increment: 3 },
        healthCheckPolicy: "min" }));
      const err = await ps.stack.preview({ onOutput }).then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(/serviceDenylist: give serviceAllowlist or serviceDenylist, not both/);
      expect(err?.message).toMatch(/serverSlots\.base: must be at least 10: DPAPI silently raises smaller values to 10/);
      expect(err?.message).toMatch(/serverSlots\.increment: must be at least 10/);
      expect(err?.message).toMatch(/healthCheckPolicyMin: is required with healthCheckPolicy "min"/);
    });

    test("the token is sent to Consul: a wrong one fails `up` with a clear error that does not show it, and registers nothing", async () => {
      await register("guarded", await upstream("guarded-1"));
      const wrong = `wrong-${TOKEN}`;
      const ps = await stack();
      await ps.stack.setConfig("bench-program:wrongToken", { value: wrong, secret: true });
      await ps.declare(discovery({ serviceAllowlist: ["guarded"], token: { $secretConfig: "wrongToken" } }));
      let seen = "";
      const err = await ps.stack.up({ onOutput: (s) => { seen += s; } }).then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(/Consul at http:\/\/127\.0\.0\.1:\d+ refused the ACL token for the service list \(403/);
      expect(err?.message).not.toContain(wrong);
      expect(seen).not.toContain(wrong);
      expectNowhereInStack(ps, wrong);
      expect(await consulDiscoveries(bench)).toEqual([]);
      await ps.stack.destroy({ onOutput });
    });

    test("waitForBackends is bounded: HAProxy not caught up within waitTimeout is a clear timeout error, and the discovery is kept", async () => {
      await register("slowpoke", await upstream("slowpoke-1"));
      const ps = await stack();
      // DPAPI polls first after retryTimeout seconds, so HAProxy cannot have the backend within 2 s.
      await ps.declare(discovery({ serviceAllowlist: ["slowpoke"], retryTimeout: 120, waitForBackends: true, waitTimeout: 2 }));
      const err = await ps.stack.up({ onOutput }).then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(/after 2 s HAProxy still differs from the Consul catalog for .*slowpoke/s);
      // Registered in DPAPI even so, and known to Pulumi, so that destroy removes it.
      expect(await consulDiscoveries(bench)).toHaveLength(1);
      await ps.stack.destroy({ onOutput });
      expect(await consulDiscoveries(bench)).toEqual([]);
    });

    test("Consul stopped and restarted: the stalled watcher (dataplaneapi#317) shows as drift on refresh and `up` restarts it", async () => {
      const ups = await Promise.all([1, 2, 3, 4].map((i) => upstream(`stall-${i}`)));
      for (const u of ups.slice(0, 3)) await register("stall", u);
      const ps = await stack();
      await ps.declare(discovery({ serviceAllowlist: ["stall"], waitForBackends: true, waitTimeout: 30 }));
      await ps.stack.up({ onOutput });
      await servesExactly(backendOf("stall"), ["stall-1", "stall-2", "stall-3"]);
      const indexOf = async () => (await fetch(`${bench.consul!.url}/v1/health/service/stall`, { headers: { "x-consul-token": TOKEN } })).headers.get("x-consul-index");
      const before = await indexOf();

      await bench.consul!.stop();
      await sleep(3000); // DPAPI polls every second: it meets the dead Consul and its watcher stops
      await bench.consul!.start();
      for (const u of ups) await register("stall", u);
      // DPAPI only looks at a service whose X-Consul-Index moved; a fresh dev agent can reuse the old number.
      while (await indexOf() === before) { await register("stall", ups[3], { tags: [`bump-${Date.now()}`] }); }

      // DPAPI still says enabled, but it no longer follows the catalog: refresh reports it.
      expect((await consulDiscoveries(bench)).map((d) => d.enabled)).toEqual([true]);
      const refreshed = await ps.stack.refresh({ onOutput });
      expect(refreshed.summary.resourceChanges).toMatchObject({ update: 1 });
      const stalled = await exported(ps);
      expect(stalled?.outputs).toMatchObject({ watcher: "stalled", enabled: false });
      // Proof that it was stalled, not slow: the refresh waited longer than two polls, and the fourth instance is still missing.
      expect(activePorts(await runtimeSlots(bench, backendOf("stall")))).not.toContain(ups[3].port);

      const up = await ps.stack.up({ onOutput });
      expect(up.summary.resourceChanges).toMatchObject({ update: 1 });
      expect((await exported(ps))?.outputs).toMatchObject({ watcher: "running", enabled: true });
      await servesExactly(backendOf("stall"), ["stall-1", "stall-2", "stall-3", "stall-4"]);
      await ps.stack.refresh({ onOutput, expectNoChanges: true });
      await ps.stack.destroy({ onOutput });
    });
  });
}
