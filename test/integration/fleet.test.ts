// Fleet through the real Pulumi CLI (Automation API on test/programs/fleet),
// against three real HAProxy + Data Plane API pairs, per generation, and once
// with mixed generations: the sequential rollout (order from the access logs
// and the upstream's log of health checks), a change stopped at the first node
// by its health gate, the rollout resumed, drift on one node, a no-op preview,
// and destroy. Plus the Fleet's validation and wiring through Pulumi's mocks.
import { createServer, type Server } from "node:http";
import * as pulumi from "@pulumi/pulumi";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { startBench, freePort, type Bench } from "../bench/bench";
import { programStack, type Declared, type ProgramStack } from "../support/pulumi";
import { getOnPort } from "../support/upstreams";
import { accessLogLines, configVersion, haproxyCfg, openTransactions, rawWrite } from "../support/dpapi";
import { describeWith, GENERATIONS } from "../support/requires";
import type { Generation } from "../bench/tools";

const NAMES = ["lb1", "lb2", "lb3"];
// How Pulumi marks a secret value in serialized inputs (what the mocks receive).
const [SECRET_SIG, SECRET_VALUE] = ["4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"];
const isWrite = (line: string) => /\\?"(POST|PUT|DELETE) \//.test(line);

/** An HTTP server on 127.0.0.1 answering every request with `status` and `body`, logging what it answered and when. */
interface App { body: string; port: number; log: Array<{ t: number; url: string; status: number; headers: Record<string, unknown> }>; close(): Promise<void> }
async function startApp(body: string, status = 200): Promise<App> {
  const log: App["log"] = [];
  const srv: Server = createServer((req, res) => {
    res.statusCode = status;
    res.end(body, () => log.push({ t: Date.now(), url: req.url ?? "", status, headers: req.headers }));
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return { body, log, port: (srv.address() as { port: number }).port, close: () => new Promise((r) => { srv.closeAllConnections(); srv.close(() => r()); }) };
}

/**
 * DPAPI's access log stamps lines to the second, too coarse to order nodes that are a fraction of a second apart:
 * this reads the three logs every 10 ms during a command and stamps each new line with the time it was first seen
 * (at most ~10 ms after DPAPI wrote it, never before).
 */
function watchLogs(benches: Bench[]) {
  const seen = benches.map((b) => accessLogLines(b).length);
  const lines: Array<{ node: number; t: number; line: string }> = [];
  const tick = () => benches.forEach((b, i) => {
    const all = accessLogLines(b);
    const t = Date.now();
    for (const line of all.slice(seen[i])) lines.push({ node: i, t, line });
    seen[i] = all.length;
  });
  const timer = setInterval(tick, 10);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return lines;
    },
  };
}

/** Seconds since the epoch of an access log line (`time="2026-12-02T14:40:27Z"`). */
const logSecond = (line: string) => Date.parse(/time="([^"]+)"/.exec(line)![1]) / 1000;

interface Fixture {
  benches: Bench[]; ports: number[]; apps: Record<"v1" | "v2" | "bad", App>; ps: ProgramStack;
}

async function startFixture(gens: Generation[], rollout: unknown): Promise<Fixture> {
  const benches: Bench[] = [];
  for (const g of gens) benches.push(await startBench({ dataplane: g }));
  const ports = [await freePort(), await freePort(), await freePort()];
  const apps = { v1: await startApp("v1"), v2: await startApp("v2"), bad: await startApp("bad", 500) };
  const ps = await programStack(benches[0], {
    program: "fleet",
    config: {
      // The stack's own endpoint leads nowhere: a resource that missed its node's connection fails instead of
      // landing on some node.
      "haproxy-dataplane:url": { value: "http://127.0.0.1:9" },
      "bench-program:nodes": { value: JSON.stringify(NAMES.map((name, i) => ({
        name, url: benches[i].dataplane!.url, username: benches[i].dataplane!.username, password: { $secretConfig: `${name}Password` },
        // Through the node's own frontend, so the check sees what the node's clients see; ?node= tells the
        // app's log which node asked.
        healthCheckUrl: `http://127.0.0.1:${ports[i]}/healthz?node=${name}`,
      }))) },
      "bench-program:rollout": { value: JSON.stringify(rollout) },
      ...Object.fromEntries(NAMES.map((name, i) => [`bench-program:${name}Password`, { value: benches[i].dataplane!.password, secret: true }])),
    },
  });
  return { benches, ports, apps, ps };
}

async function stopFixture(f: Partial<Fixture>): Promise<void> {
  await f.ps?.stack.destroy().catch(() => undefined);
  await f.ps?.dispose();
  for (const b of f.benches ?? []) await b.stop();
  for (const a of Object.values(f.apps ?? {})) await a.close();
}

/** One node's program: a backend with one server, and a frontend on the node's own port in front of it. */
function declared(f: Fixture, app: App, weight = 100): Declared[] {
  return [
    { type: "Backend", name: "api", args: { mode: "http", servers: [{ name: "app", address: "127.0.0.1", port: app.port, weight }] } },
    { type: "Frontend", name: "web", args: { mode: "http", binds: [{ address: "127.0.0.1", port: { $perNode: Object.fromEntries(NAMES.map((n, i) => [n, f.ports[i]])) } }],
      defaultBackend: { $ref: "api.name" } } },
  ];
}

const answers = (f: Fixture) => Promise.all(f.ports.map((p) => getOnPort(p, "127.0.0.1")));

/**
 * Node k+1's first write comes after node k's last write and after node k's health check passed, which came
 * after node k's last write. `checks` are the app's log of health checks during the command.
 */
function expectRolledOutInOrder(lines: ReturnType<ReturnType<typeof watchLogs>["stop"]>, checks: App["log"]) {
  const writes = NAMES.map((_, k) => lines.filter((l) => l.node === k && isWrite(l.line)));
  for (const w of writes) expect(w.length).toBeGreaterThan(0);
  for (let k = 0; k < NAMES.length - 1; k++) {
    const passed = checks.find((c) => c.status === 200 && c.url === `/healthz?node=${NAMES[k]}`);
    expect({ node: NAMES[k], checked: Boolean(passed) }).toEqual({ node: NAMES[k], checked: true });
    const lastK = writes[k][writes[k].length - 1];
    const firstNext = writes[k + 1][0];
    expect({ node: NAMES[k + 1], startsAfterPreviousEnded: firstNext.t > lastK.t }).toEqual({ node: NAMES[k + 1], startsAfterPreviousEnded: true });
    expect({ node: NAMES[k + 1], startsAfterPreviousHealthy: firstNext.t >= passed!.t }).toEqual({ node: NAMES[k + 1], startsAfterPreviousHealthy: true });
    // The check ran after the node's changes were applied (to DPAPI's second: its log has no finer stamp).
    expect(Math.floor(passed!.t / 1000)).toBeGreaterThanOrEqual(logSecond(lastK.line));
  }
}

for (const gen of GENERATIONS) {
  describeWith([gen, "pulumi"], `Fleet of three nodes with dataplaneapi ${gen}`, () => {
    const f = {} as Fixture;

    beforeAll(async () => {
      Object.assign(f, await startFixture([gen, gen, gen], { order: "sequential", healthCheck: { expectStatus: 200, timeoutSeconds: 4, headers: { "x-fleet-check": "yes" } } }));
    });
    afterAll(async () => { await stopFixture(f); });
    afterEach(async () => {
      for (const b of f.benches) expect(await openTransactions(b)).toEqual([]);
    });

    test("up reaches the three nodes one after the other, each after the one before passed its health check", async () => {
      await f.ps.declare(declared(f, f.apps.v1));
      const watch = watchLogs(f.benches);
      const res = await f.ps.stack.up();
      const lines = watch.stop();
      // Stack, Fleet, and per node: its component, Backend, Frontend, health gate.
      expect(res.summary.resourceChanges).toEqual({ create: 14 });
      expectRolledOutInOrder(lines, f.apps.v1.log);
      // The gate sends the configured headers.
      expect(f.apps.v1.log.find((c) => c.url.startsWith("/healthz"))!.headers["x-fleet-check"]).toBe("yes");
      expect(await answers(f)).toEqual(["v1", "v1", "v1"]);
      // Each node got its own objects, on its own port, and no other node's.
      f.benches.forEach((b, i) => {
        const cfg = haproxyCfg(b);
        expect(cfg).toMatch(/^backend api$/m);
        expect(cfg).toContain(`bind 127.0.0.1:${f.ports[i]}`);
        for (const j of [0, 1, 2].filter((j) => j !== i)) expect(cfg).not.toContain(`:${f.ports[j]}`);
      });
    });

    test("every node's resources have their own URN, under a component that names the node; no password in the state", async () => {
      const state = await f.ps.stack.exportStack();
      const urns = state.deployment.resources.map((r: { urn: string }) => r.urn);
      expect(new Set(urns).size).toBe(urns.length);
      const backends = urns.filter((u: string) => u.endsWith("$pulumi-nodejs:dynamic/haproxy:Backend::api"));
      expect(backends).toEqual(NAMES.map((n) => expect.stringContaining(`haproxy:index:Fleet$haproxy:fleet:Node-${n}$`)));
      const stored = f.ps.storedState();
      for (const b of f.benches) expect(stored).not.toContain(b.dataplane!.password);
    });

    test("preview after up shows nothing to do, health gates included, and sends no write", async () => {
      const watch = watchLogs(f.benches);
      const preview = await f.ps.stack.preview({ expectNoChanges: true });
      expect(preview.changeSummary).toEqual({ same: 14 });
      expect(watch.stop().filter((l) => isWrite(l.line))).toEqual([]);
    });

    test("a change whose health check fails stops at the first node: the others keep their configuration and their answer", async () => {
      const versions = await Promise.all(f.benches.map(configVersion));
      await f.ps.declare(declared(f, f.apps.bad));
      const watch = watchLogs(f.benches);
      const started = Date.now();
      // --continue-on-error, the strongest case: the engine goes on with whatever does not depend on the failure,
      // and nodes 2 and 3 depend on lb1's gate.
      const err = await f.ps.stack.up({ continueOnError: true }).then(() => undefined, (e: unknown) => e);
      const lines = watch.stop();
      expect(err).toBeDefined();
      const text = String((err as { message?: string }).message ?? err);
      expect(text).toMatch(new RegExp(`Fleet node "lb1": rollout stopped here: health check GET http://127\\.0\\.0\\.1:${f.ports[0]}/healthz\\?node=lb1 ` +
        `answered 500 \\(expected 200\\); last body: "bad"`));
      // It kept asking for the whole timeout, every half second.
      expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
      expect(f.apps.bad.log.filter((c) => c.url === "/healthz?node=lb1").length).toBeGreaterThanOrEqual(6);
      // Node 1 took the change (and answers 500), nodes 2 and 3 never heard of it.
      expect(await configVersion(f.benches[0])).toBeGreaterThan(versions[0]);
      expect(await Promise.all(f.benches.slice(1).map(configVersion))).toEqual(versions.slice(1));
      // Not even a read: their resources are registered only once lb1's gate has passed.
      expect(lines.filter((l) => l.node > 0)).toEqual([]);
      expect(f.apps.bad.log.filter((c) => !c.url.endsWith("node=lb1"))).toEqual([]);
      expect(await answers(f)).toEqual(["HTTP 500", "v1", "v1"]);
    });

    test("reverting the failed change checks the first node again before anything else is done", async () => {
      // The failed gate is stored as "failed to initialize", so the engine runs it again although the
      // declarations are back to the ones that passed: the revert of lb1 is checked too.
      await f.ps.declare(declared(f, f.apps.v1));
      expect((await f.ps.stack.preview()).changeSummary).toEqual({ same: 12, update: 2 });
      const checks = f.apps.v1.log.length;
      const res = await f.ps.stack.up();
      expect(res.summary.resourceChanges).toEqual({ same: 12, update: 2 });
      expect(f.apps.v1.log.slice(checks).filter((c) => c.url === "/healthz?node=lb1" && c.status === 200).length).toBeGreaterThanOrEqual(1);
      expect(await answers(f)).toEqual(["v1", "v1", "v1"]);
      await f.ps.stack.preview({ expectNoChanges: true });
    });

    test("fixing the program and running up again resumes the rollout at the first node and completes it", async () => {
      await f.ps.declare(declared(f, f.apps.v2));
      const watch = watchLogs(f.benches);
      const res = await f.ps.stack.up();
      const lines = watch.stop();
      // Per node: the Backend and its gate.
      expect(res.summary.resourceChanges).toEqual({ same: 8, update: 6 });
      expectRolledOutInOrder(lines, f.apps.v2.log);
      expect(await answers(f)).toEqual(["v2", "v2", "v2"]);
    });

    test("a hand edit on node 2 shows in refresh on node 2's Backend only, and up repairs it", async () => {
      const path = gen === "v3" ? "/services/haproxy/configuration/backends/api/servers/app" : "/services/haproxy/configuration/servers/app?backend=api";
      const outside = await rawWrite(f.benches[1], "PUT", path, { name: "app", address: "127.0.0.1", port: f.apps.v2.port, weight: 7 });
      expect(outside.status).toBeLessThan(300);
      const events: EngineEvent[] = [];
      const refresh = await f.ps.stack.refresh({ onEvent: (e) => events.push(e) });
      expect(refresh.summary.resourceChanges).toEqual({ same: 13, update: 1 });
      // The engine reports each refreshed resource as "same" or "update", with its old and new outputs.
      const changed = events.map((e) => e.resOutputsEvent?.metadata).filter((m) => m && m.op !== "same");
      expect(changed.map((m) => [m!.op, m!.urn])).toEqual([["update", expect.stringMatching(/Node-lb2\$pulumi-nodejs:dynamic\/haproxy:Backend::api$/)]]);
      const weight = (o: unknown) => (o as { outputs: { servers: Record<string, { weight: number }> } }).outputs.servers.app.weight;
      expect([weight(changed[0]!.old), weight(changed[0]!.new)]).toEqual([100, 7]);
      // The repair touches node 2 alone; its gate does not run (what node 2 declares did not change).
      const res = await f.ps.stack.up();
      expect(res.summary.resourceChanges).toEqual({ same: 13, update: 1 });
      expect(await f.benches[1].runtime("get weight api/app")).toMatch(/^100 /);
      expect((await f.ps.stack.preview()).changeSummary).toEqual({ same: 14 });
    });

    test("destroy removes the fleet's objects from all three nodes", async () => {
      await f.ps.stack.destroy();
      for (const b of f.benches) {
        const cfg = haproxyCfg(b);
        expect(cfg).not.toMatch(/^backend api$/m);
        expect(cfg).not.toMatch(/^frontend web$/m);
      }
      expect(await answers(f)).toEqual(NAMES.map(() => "error ECONNREFUSED"));
    });
  });
}

describeWith(["v2", "v3", "pulumi"], "Fleet across generations: two nodes on dataplaneapi v2, one on v3, two at a time", () => {
  const f = {} as Fixture;
  beforeAll(async () => {
    Object.assign(f, await startFixture(["v2", "v2", "v3"], { maxUnavailable: 2, healthCheck: { timeoutSeconds: 10 } }));
  });
  afterAll(async () => { await stopFixture(f); });

  test("up configures each node through its own API generation, lb1 and lb2 together and lb3 after both; destroy removes it all", async () => {
    await f.ps.declare(declared(f, f.apps.v1));
    const watch = watchLogs(f.benches);
    expect((await f.ps.stack.up()).summary.resourceChanges).toEqual({ create: 14 });
    const lines = watch.stop();
    expect(await answers(f)).toEqual(["v1", "v1", "v1"]);
    const writes = NAMES.map((_, k) => lines.filter((l) => l.node === k && isWrite(l.line)));
    const used = writes.map((w) => [...new Set(w.map((l) => /"(?:POST|PUT|DELETE) \/(v\d)\//.exec(l.line.replace(/\\"/g, '"'))?.[1]))]);
    expect(used).toEqual([["v2"], ["v2"], ["v3"]]);
    // One batch of two: lb2 did not wait for lb1's gate; lb3 waited for both gates.
    const passed = (node: string) => f.apps.v1.log.find((c) => c.status === 200 && c.url === `/healthz?node=${node}`)!.t;
    expect(writes[1][0].t).toBeLessThan(passed("lb1"));
    expect(writes[2][0].t).toBeGreaterThanOrEqual(Math.max(passed("lb1"), passed("lb2")));
    await f.ps.stack.destroy();
    for (const b of f.benches) expect(haproxyCfg(b)).not.toMatch(/^(backend api|frontend web)$/m);
    for (const b of f.benches) expect(await openTransactions(b)).toEqual([]);
  });
});

// The component's own checks and wiring, through Pulumi's mocks: no engine, no bench.
describe("Fleet without an engine (mocks)", () => {
  const registered: Array<{ type: string; name: string; inputs: Record<string, unknown> }> = [];
  let haproxy: typeof import("../../sdk/index");
  let fleetModule: typeof import("../../sdk/fleet");
  beforeAll(() => {
    pulumi.runtime.setMocks({
      newResource: (args) => { registered.push({ type: args.type, name: args.name, inputs: args.inputs }); return { id: `${args.name}-id`, state: args.inputs }; },
      call: () => ({}),
    });
    // Loaded after setMocks, as Pulumi requires.
    haproxy = require("../../sdk/index");
    fleetModule = require("../../sdk/fleet");
  });

  const nodes = [{ name: "lb1", url: "http://10.0.0.1:5555", password: "p1" }, { name: "lb2", url: "http://10.0.0.2:5555", password: "p2" }];

  test("{node} in the health check URL becomes the node's name; a node's own healthCheckUrl wins", async () => {
    expect(fleetModule.healthCheckUrlFor("http://{node}.internal:80/healthz?from={node}", "lb1")).toBe("http://lb1.internal:80/healthz?from=lb1");
    const fleet = new haproxy.Fleet("tpl", {
      nodes: [nodes[0], { ...nodes[1], healthCheckUrl: "http://10.9.9.9/ready" }],
      rollout: { healthCheck: { url: "http://{node}.internal/healthz", headers: { Host: "www.example.com" } } },
    }, (node) => { new haproxy.Backend(`api-${node.name}`, { mode: "http" }, node.opts); });
    await new Promise<void>((r) => fleet.urn.apply(() => r()));
    const gatesOf = () => registered.filter((r) => r.type === "pulumi-nodejs:dynamic/haproxy:HealthGate" && String(r.inputs.node).startsWith("lb"));
    // A gate registers once its fingerprint (the node's resources' inputs) has resolved.
    for (let i = 0; i < 100 && gatesOf().length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    const gates = gatesOf();
    expect(gates.map((g) => [g.inputs.node, g.inputs.url, g.inputs.expectStatus, g.inputs.timeoutSeconds, g.inputs.headers])).toEqual([
      ["lb1", "http://lb1.internal/healthz", 200, 30, { Host: "www.example.com" }],
      ["lb2", "http://10.9.9.9/ready", 200, 30, { Host: "www.example.com" }],
    ]);
    expect(gates.every((g) => typeof g.inputs.fingerprint === "string" && /^[0-9a-f]{64}$/.test(g.inputs.fingerprint as string))).toBe(true);
    const backends = registered.filter((r) => r.type === "pulumi-nodejs:dynamic/haproxy:Backend");
    // Each node's resources get that node's connection, as a secret (the mocks see Pulumi's secret wrapper).
    expect(backends.map((b) => b.inputs.connection)).toEqual([
      { [SECRET_SIG]: SECRET_VALUE, value: { url: "http://10.0.0.1:5555", username: "admin", password: "p1" } },
      { [SECRET_SIG]: SECRET_VALUE, value: { url: "http://10.0.0.2:5555", username: "admin", password: "p2" } },
    ]);
    expect(registered.filter((r) => r.type.startsWith("haproxy:fleet:")).map((r) => r.type)).toEqual(["haproxy:fleet:Node-lb1", "haproxy:fleet:Node-lb2"]);
  });

  /** What each resource of a fleet waits for (by name), seen by a transformation of a parent above the Fleet. */
  let fleets = 0;
  async function waits(rollout: unknown): Promise<Record<string, string[]>> {
    const fleet = `w${++fleets}`;
    const seen: Record<string, string[]> = {};
    const made: pulumi.Resource[] = [];
    const nameOf = (r: unknown) => (r as { __name: string }).__name;
    const spy = new pulumi.ComponentResource("test:index:Spy", `spy-${Math.random()}`, {}, {
      // A parent's transformations run after the resource's own: this one sees what the Fleet's made of the options.
      transformations: [({ resource, name, opts }) => {
        made.push(resource);
        const d = opts.dependsOn;
        seen[name] = (Array.isArray(d) ? d : d ? [d] : []).map(nameOf);
        return undefined;
      }],
    });
    const three = [...nodes, { name: "lb3", url: "http://10.0.0.3:5555" }];
    new haproxy.Fleet(fleet, { nodes: three, rollout: rollout as never }, (node) => {
      const api = new haproxy.Backend(`api-${node.name}`, {}, node.opts);
      new haproxy.Server(`s-${node.name}`, { backend: api.name, address: "10.1.1.1", port: 80 }, node.opts);
    }, { parent: spy });
    // Every registration done, before jest moves on.
    await Promise.all(made.map((r) => new Promise((done) => r.urn.apply(done))));
    // The node components are named <fleet>-<node>: shown as "node:<node>".
    return Object.fromEntries(Object.entries(seen).filter(([k]) => !k.startsWith(`${fleet}`) && !k.startsWith("spy-"))
      .map(([k, v]) => [k, v.map((d) => d.replace(`${fleet}-`, "node:"))]));
  }

  test("sequential waits for the gates of the node (or batch) before; parallel for nothing; no health check: for the node before", async () => {
    const healthCheck = { url: "http://{node}/healthz" };
    expect(await waits({ healthCheck })).toEqual({
      "api-lb1": [], "s-lb1": [], "lb1-health": ["node:lb1"],
      "api-lb2": ["lb1-health"], "s-lb2": ["lb1-health"], "lb2-health": ["node:lb2", "lb1-health"],
      "api-lb3": ["lb2-health"], "s-lb3": ["lb2-health"], "lb3-health": ["node:lb3", "lb2-health"],
    });
    const batches = await waits({ maxUnavailable: 2, healthCheck });
    expect([batches["api-lb1"], batches["api-lb2"], batches["api-lb3"]]).toEqual([[], [], ["lb1-health", "lb2-health"]]);
    const parallel = await waits({ order: "parallel", healthCheck });
    expect([parallel["api-lb2"], parallel["lb2-health"], parallel["api-lb3"]]).toEqual([[], ["node:lb2"], []]);
    // No health check: a gate with no URL per node, so the next node waits for one resource, not for each of
    // this node's (whose URNs each of its resources would store); parallel needs none.
    const unchecked = await waits({});
    expect([unchecked["api-lb1"], unchecked["api-lb2"], unchecked["s-lb3"], unchecked["lb2-health"]]).toEqual([[], ["lb1-health"], ["lb2-health"], ["node:lb2", "lb1-health"]]);
    const uncheckedParallel = await waits({ order: "parallel" });
    expect(Object.keys(uncheckedParallel).filter((k) => k.endsWith("-health"))).toEqual([]);
  });

  test("bad arguments fail naming the field, before anything is registered", () => {
    const before = registered.length;
    const cases: Array<[unknown, RegExp]> = [
      [{ nodes: [] }, /Fleet "bad": nodes: must be a non-empty list/],
      [{ nodes: [{ name: "lb 1", url: "http://a:1" }] }, /Fleet "bad": nodes\[0\]\.name: "lb 1" must be letters, digits, - and _/],
      [{ nodes: [nodes[0], { ...nodes[1], name: "lb1" }] }, /Fleet "bad": nodes\[1\]\.name: "lb1" is already the name of nodes\[0\]/],
      [{ nodes: [{ name: "lb1", url: "ftp://a" }] }, /nodes\[0\]\.url: "ftp:\/\/a" must be an http:\/\/ or https:\/\/ URL/],
      [{ nodes: [{ name: "lb1" }] }, /nodes\[0\]\.url: is required/],
      [{ nodes: [{ ...nodes[0], pasword: "x" }] }, /nodes\[0\]\.pasword: unknown field/],
      [{ nodes, rollout: { order: "random" } }, /rollout\.order: "random" must be "sequential" or "parallel"/],
      [{ nodes, rollout: { maxUnavailable: 0 } }, /rollout\.maxUnavailable: 0 must be a whole number of nodes, 1 or more/],
      [{ nodes, rollout: { order: "parallel", maxUnavailable: 2 } }, /rollout\.maxUnavailable: applies to the sequential order only/],
      [{ nodes, rollout: { healthCheck: {} } }, /rollout\.healthCheck\.url: is required: nodes\[0\] \("lb1"\) gives no healthCheckUrl/],
      [{ nodes, rollout: { healthCheck: { url: "{node}/healthz" } } }, /rollout\.healthCheck\.url: "\{node\}\/healthz" must be an http/],
      [{ nodes, rollout: { healthCheck: { url: "http://{node}/", expectStatus: 42 } } }, /rollout\.healthCheck\.expectStatus: 42 must be an HTTP status/],
      [{ nodes, rollout: { healthCheck: { url: "http://{node}/", timeoutSeconds: -1 } } }, /rollout\.healthCheck\.timeoutSeconds: -1 must be a number of seconds/],
      [{ nodes, rollout: { healthCheck: { url: "http://{node}/", headers: { "bad header": "x" } } } }, /rollout\.healthCheck\.headers\.bad header: is not a valid HTTP header name/],
    ];
    for (const [args, message] of cases) expect(() => new haproxy.Fleet("bad", args as never, () => undefined)).toThrow(message);
    expect(() => new haproxy.Fleet("bad", { nodes }, "not a function" as never)).toThrow(/Fleet "bad": callback: must be a function/);
    expect(registered.length).toBe(before);
  });

  test("a resource of a node that brings its own connection is refused, naming it", () => {
    expect(() => new haproxy.Fleet("own", { nodes }, (node) => {
      new haproxy.Backend(`own-${node.name}`, { connection: { url: "http://x:1", username: "a", password: "b" } }, node.opts);
    })).toThrow(/Fleet "own" node "lb1": Backend "own-lb1" gives its own `connection`/);
  });

  test("the gate: check names the node and the field; the poll waits for the expected status, and reports a connection error", async () => {
    const gate = await import("../../provider/resources/health-gate");
    const checked = await gate.check({}, { node: "lb1", url: "ftp://x", fingerprint: "f" });
    expect(checked.failures?.map((x) => x.reason)).toEqual([expect.stringMatching(/^HealthGate of Fleet node "lb1": url: must be an http/)]);
    // 503 twice, then 200: healthy on the third request, half a second apart.
    let n = 0;
    const srv = createServer((req, res) => { res.statusCode = ++n < 3 ? 503 : 200; res.end(String(req.headers.host)); });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as { port: number }).port;
    try {
      const started = Date.now();
      expect(await gate.waitHealthy({ node: "lb1", url: `http://127.0.0.1:${port}/`, expectStatus: 200, timeoutSeconds: 5, headers: { Host: "www.example.com" } })).toBe(3);
      expect(Date.now() - started).toBeGreaterThanOrEqual(2 * gate.POLL_INTERVAL_MS);
      expect(await gate.probe(`http://127.0.0.1:${port}/`, { Host: "www.example.com" }, 1000)).toEqual({ status: 200, body: "www.example.com" });
    } finally {
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    }
    // Nothing listens there any more.
    await expect(gate.waitHealthy({ node: "lb2", url: `http://127.0.0.1:${port}/`, expectStatus: 200, timeoutSeconds: 1, headers: {} }))
      .rejects.toThrow(new RegExp(`Fleet node "lb2": rollout stopped here: health check GET http://127\\.0\\.0\\.1:${port}/ failed \\(connect ECONNREFUSED`));
  });
});
