// Through the real CLI: the reload command fails in the middle of an `up` (the bench makes the next reload fail as
// a rejected HAProxy reload does), and a Data Plane API that never answers or is not there. The reload error carries
// the command's output, DPAPI has restored the last working haproxy.cfg, state holds nothing that is not in HAProxy,
// and the next `up` converges; a silent API times out at haproxy-dataplane:timeoutMs naming the request, with a
// bounded number of tries; one that is not there fails within seconds with a hint.
import { createServer, type Server, type Socket } from "node:net";
import { startBench, freePort, type Bench } from "../bench/bench";
import { programStack, type Declared, type ProgramStack } from "../support/pulumi";
import { haproxyCfg, openTransactions } from "../support/dpapi";
import { describeWith, GENERATIONS } from "../support/requires";

const backend = (name: string): Declared => ({ type: "Backend", name, args: { balance: { algorithm: "roundrobin" },
  servers: [{ name: "s1", address: "127.0.0.1", port: 9 }] } });
const stripMeta = (cfg: string) => cfg.replace(/^# _md5hash=.*\n|^# _version=.*\n/gm, "");

for (const gen of GENERATIONS) {
  describeWith([gen, "pulumi"], `reload failure and a silent API through pulumi up, dataplaneapi ${gen}`, () => {
    let bench: Bench;
    const stacks: ProgramStack[] = [];
    beforeAll(async () => { bench = await startBench({ dataplane: gen }); });
    afterAll(async () => {
      for (const ps of stacks) await ps.dispose();
      await bench?.stop();
    });

    test("the reload fails: the error carries its output, haproxy.cfg is restored, state agrees, the next up converges", async () => {
      const ps = await programStack(bench, { stackName: "reload" });
      stacks.push(ps);
      await ps.declare([backend("steady")]);
      await ps.stack.up();
      const before = stripMeta(haproxyCfg(bench));

      await ps.declare([backend("steady"), backend("doomed")]);
      bench.failNextReload("[ALERT] (4242) : config : bench refuses this reload");
      const err = await ps.stack.up().then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(/bench refuses this reload/);
      expect(err?.message).toMatch(/doomed/);
      expect(stripMeta(haproxyCfg(bench))).toBe(before);
      expect(await openTransactions(bench)).toEqual([]);
      const urns = ((await ps.stack.exportStack()).deployment.resources ?? []).map((r: { urn: string }) => r.urn);
      expect(urns.some((u: string) => u.endsWith("::doomed"))).toBe(false);
      expect((await ps.stack.refresh()).summary.resourceChanges).not.toHaveProperty("update");

      const again = await ps.stack.up();
      expect(again.summary.resourceChanges).toMatchObject({ create: 1 });
      expect(haproxyCfg(bench)).toMatch(/^backend doomed\b/m);
      await ps.stack.destroy();
    });
  });
}

describeWith(["pulumi"], "a Data Plane API that never answers, or is not there, through pulumi up", () => {
  let bench: Bench;
  let silent: Server;
  let silentPort: number;
  const requests: string[] = [];
  const sockets: Socket[] = [];
  const stacks: ProgramStack[] = [];
  beforeAll(async () => {
    // HAProxy alone; the stack's URL points at a fake API that accepts connections and reads requests, and never answers.
    bench = await startBench({ dataplane: false });
    silent = createServer((s) => { sockets.push(s); s.on("data", (d) => { for (const l of d.toString().split("\r\n")) if (/^(GET|POST|PUT|DELETE) /.test(l)) requests.push(l); }); });
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const ps of stacks) await ps.dispose();
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent?.close(r));
    await bench?.stop();
  });

  const stackAt = async (name: string, url: string, timeoutMs?: number) => {
    // programStack reads the endpoint from bench.dataplane: give it this one.
    const fake = { ...bench, dataplane: { generation: "v3", url, username: "admin", password: "pw-silent", pid: 0, logPath: "", kill: async () => undefined, start: async () => undefined } } as Bench;
    const ps = await programStack(fake, { stackName: name, config: timeoutMs ? { "haproxy-dataplane:timeoutMs": { value: String(timeoutMs) } } : {} });
    stacks.push(ps);
    await ps.declare([backend("a"), backend("b"), backend("c")]);
    return ps;
  };

  test("silent: up fails after haproxy-dataplane:timeoutMs, naming the endpoint and the request, with one try per resource at most", async () => {
    const ps = await stackAt("silent", `http://127.0.0.1:${silentPort}`, 1500);
    const started = Date.now();
    const err = await ps.stack.up().then(() => undefined, (e: Error) => e);
    const took = Date.now() - started;
    expect(err?.message).toMatch(new RegExp(`Data Plane API at http://127\\.0\\.0\\.1:${silentPort} did not answer within 1500 ms \\(GET /v3/info\\)`));
    expect(err?.message).toMatch(/raise timeoutMs/);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.length).toBeLessThanOrEqual(3);
    expect(requests.every((r) => r.startsWith("GET /v3/info"))).toBe(true);
    // Engine start-up and three resources, not three times the default 30 s.
    expect(took).toBeLessThan(25_000);
  });

  test("an invalid timeoutMs is refused naming the setting", async () => {
    const ps = await stackAt("badtimeout", `http://127.0.0.1:${silentPort}`, -5);
    const err = await ps.stack.up().then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/timeoutMs/);
  });

  test("nothing listening: up fails within seconds, naming the URL, with a hint", async () => {
    const port = await freePort();
    const ps = await stackAt("nowhere", `http://127.0.0.1:${port}`);
    const started = Date.now();
    const err = await ps.stack.up().then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(new RegExp(`cannot reach the Data Plane API at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
    expect(err?.message).toMatch(/check haproxy-dataplane:url/);
    expect(Date.now() - started).toBeLessThan(25_000);
  });
});
