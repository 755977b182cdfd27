// A slow Consul while a ConsulDiscovery is disabled or destroyed. DPAPI stops a watcher by clearing its HTTP client
// from the request's goroutine; a watcher then between two queries of a poll dereferences it and the whole DPAPI
// process dies (SIGSEGV, both generations; CI met it on a loaded machine). A slow Consul stretches each poll so that
// a disable sent at a random moment lands inside one most of the time: here a poll spends about 2.8 s of every
// 3.8 s querying. The provider parks the watcher first; DPAPI must survive, and the watcher must really stop.
import { createServer, connect, type Server, type Socket } from "node:net";
import { startBench, freePort, sleep, type Bench } from "../bench/bench";
import { programStack, type ProgramStack } from "../support/pulumi";
import { openTransactions, consulDiscoveries, rawGet } from "../support/dpapi";
import { describeWith, GENERATIONS } from "../support/requires";

const TOKEN = `acl-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
const SERVICES = ["slow-a", "slow-b", "slow-c"];
const DELAY_MS = 700;

/** A TCP proxy to Consul that holds every chunk Consul sends for `delayMs`, and counts the connections and chunks. */
async function slowProxy(target: number, delayMs: number): Promise<{ port: number; responses: () => number; close(): Promise<void> }> {
  let responses = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target, "127.0.0.1");
    sockets.add(client); sockets.add(upstream);
    upstream.on("data", (chunk) => { responses++; setTimeout(() => client.destroyed || client.write(chunk), delayMs); });
    client.on("data", (chunk) => upstream.write(chunk));
    const end = () => { setTimeout(() => { client.destroy(); upstream.destroy(); }, delayMs); };
    client.on("close", end); upstream.on("close", end);
    client.on("error", end); upstream.on("error", end);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    port,
    responses: () => responses,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}


/** DPAPI still the same process, answering. */
async function dpapiAlive(bench: Bench, pid: number): Promise<boolean> {
  if (bench.dataplane!.pid !== pid) return false;
  try { process.kill(pid, 0); } catch { return false; }
  return rawGet(bench, "/info").then((i) => typeof i === "object" && i !== null, () => false);
}

for (const gen of GENERATIONS) {
  describeWith([gen, "consul", "pulumi"], `A slow Consul while a discovery is stopped, dataplaneapi ${gen}`, () => {
    let bench: Bench;
    let proxy: Awaited<ReturnType<typeof slowProxy>>;
    let ps: ProgramStack | undefined;
    const agent = (path: string, body?: unknown) => fetch(`${bench.consul!.url}/v1/agent/service/${path}`,
      { method: "PUT", headers: { "x-consul-token": TOKEN }, body: body === undefined ? undefined : JSON.stringify(body) });

    beforeAll(async () => {
      bench = await startBench({ dataplane: gen, consul: true, consulAclToken: TOKEN });
      for (const [i, name] of SERVICES.entries()) {
        expect((await agent("register", { Name: name, ID: `${name}-1`, Address: "127.0.0.1", Port: 9000 + i })).ok).toBe(true);
      }
      proxy = await slowProxy(bench.consul!.port, DELAY_MS);
    });
    afterAll(async () => {
      await ps?.stack.destroy().catch(() => undefined);
      await ps?.dispose();
      await proxy?.close();
      await bench?.stop();
    });

    test("disable and destroy mid-poll: DPAPI keeps running, the watcher stops, nothing is left behind", async () => {
      const pid = bench.dataplane!.pid;
      ps = await programStack(bench);
      await ps.stack.setConfig("bench-program:consulToken", { value: TOKEN, secret: true });
      const discovery = (enabled: boolean) => [{
        type: "ConsulDiscovery" as const, name: "consul",
        args: { address: "127.0.0.1", port: proxy.port, token: { $secretConfig: "consulToken" }, retryTimeout: 1,
          serviceAllowlist: SERVICES, waitForBackends: false, enabled },
      }];
      await ps.declare(discovery(true));
      await ps.stack.up();
      // The watcher polls through the proxy: a few polls in, each stop below lands at a random point of one.
      const polling = proxy.responses();
      await sleep(5_000);
      expect(proxy.responses()).toBeGreaterThan(polling);

      await ps.declare(discovery(false));
      await ps.stack.up();
      expect(await dpapiAlive(bench, pid)).toBe(true);
      // Disabled as declared, not left parked with a day-long interval.
      expect((await consulDiscoveries(bench)).map(({ enabled, retry_timeout }) => ({ enabled, retry_timeout })))
        .toEqual([{ enabled: false, retry_timeout: 1 }]);
      // The watcher stopped: nothing queries Consul any more (a poll would every second).
      const stopped = proxy.responses();
      await sleep(3_000);
      expect(proxy.responses()).toBe(stopped);

      await ps.declare(discovery(true));
      await ps.stack.up();
      const resumed = proxy.responses();
      await sleep(4_000);
      expect(proxy.responses()).toBeGreaterThan(resumed);

      await ps.stack.destroy();
      expect(await dpapiAlive(bench, pid)).toBe(true);
      expect(await consulDiscoveries(bench)).toEqual([]);
      expect(await openTransactions(bench)).toEqual([]);
      const destroyed = proxy.responses();
      await sleep(3_000);
      expect(proxy.responses()).toBe(destroyed);
    });
  });
}
