// The DPAPI client against the real bench, each generation: CRUD, retries,
// group commit, isolation of a bad write, failed reloads, connection errors.
import { createServer } from "node:http";
import { startBench, freePort, type Bench } from "../bench/bench";
import { buildClient, connect, createHttp, ConnectionSchema, isDpapiError, type DataplaneClient, type Http } from "../../provider/client";
import { haproxyCfg, openTransactions, rawWrite, reloadCount } from "../support/dpapi";
import { startUpstream, sendThrough, type Upstream } from "../support/upstreams";
import { startRouter, type Router } from "../support/router";
import { describeWith, GENERATIONS } from "../support/requires";

for (const gen of GENERATIONS) {
  describeWith([gen], `DPAPI client against dataplaneapi ${gen}`, () => {
    let bench: Bench;
    let client: DataplaneClient;
    let up: Upstream;
    let router: Router;
    const conn = () => ({ url: bench.dataplane!.url, username: bench.dataplane!.username, password: bench.dataplane!.password });
    /** A client of its own (own queue), over a transport the test can wrap. */
    const clientWith = (wrap: (http: Http) => Http) => buildClient(wrap(createHttp(ConnectionSchema.parse(conn()))), gen);

    beforeAll(async () => {
      bench = await startBench({ dataplane: gen });
      client = await connect(conn());
      up = await startUpstream("up");
      router = await startRouter(bench);
    });
    afterAll(async () => { await up?.close(); await bench?.stop(); });
    afterEach(async () => { expect(await openTransactions(bench)).toEqual([]); });

    test("detects the generation by probing", () => {
      expect(client.generation).toBe(gen);
    });

    test("backend CRUD: create, read, replace, delete, each live when it returns", async () => {
      const before = await reloadCount(bench);
      const created = await client.createBackend({ name: "crud", mode: "http", balance: { algorithm: "roundrobin" } });
      expect(created.reloaded).toBe(true);
      expect(await reloadCount(bench)).toBe(before + 1);
      expect(await bench.runtime("show backend")).toMatch(/^crud$/m);
      expect(await client.getBackend("crud")).toMatchObject({ name: "crud", mode: "http", balance: { algorithm: "roundrobin" } });
      await client.replaceBackend({ name: "crud", mode: "http", balance: { algorithm: "leastconn" } });
      expect((await client.getBackend("crud"))?.balance?.algorithm).toBe("leastconn");
      await client.deleteBackend("crud");
      expect(await client.getBackend("crud")).toBeUndefined();
      expect(haproxyCfg(bench)).not.toMatch(/^backend crud$/m);
    });

    test("server CRUD; a lone server create serves traffic; a weight change needs no reload", async () => {
      await client.createBackend({ name: "srv", balance: { algorithm: "roundrobin" } });
      await client.createServer("srv", { name: "s1", address: "127.0.0.1", port: up.port, weight: 10, maintenance: "disabled" });
      expect(await client.getServer("srv", "s1")).toMatchObject({ name: "s1", address: "127.0.0.1", port: up.port, weight: 10 });
      expect(await sendThrough(router, "srv", 2)).toEqual({ up: 2 });
      const before = await reloadCount(bench);
      const previous = (await client.getServer("srv", "s1"))!;
      const res = await client.replaceServer("srv", { ...previous, weight: 20 }, previous);
      expect(res.reloaded).toBe(false);
      expect(await reloadCount(bench)).toBe(before);
      expect(await bench.runtime("get weight srv/s1")).toMatch(/^20 /);
      expect((await client.listServers("srv")).map((s) => s.name)).toEqual(["s1"]);
      await client.deleteServer("srv", "s1");
      expect(await client.getServer("srv", "s1")).toBeUndefined();
      await client.deleteBackend("srv");
    });

    test("servers added to a live backend serve at once without a reload, are written to haproxy.cfg and survive the next reload", async () => {
      await client.createBackend({ name: "rt", balance: { algorithm: "roundrobin" } });
      const before = await reloadCount(bench);
      await Promise.all(Array.from({ length: 5 }, (_, i) =>
        client.createServer("rt", { name: `r${i}`, address: "127.0.0.1", port: up.port, weight: 7 + i, maintenance: "disabled" })));
      expect(await reloadCount(bench)).toBe(before);
      // DPAPI v2 passes only one option to `add server` (it would drop the weight): the weight must still hold.
      expect(await bench.runtime("get weight rt/r3")).toMatch(/^10 /);
      expect(haproxyCfg(bench).match(/^\s+server r\d /gm)).toHaveLength(5);
      expect(await sendThrough(router, "rt", 10)).toEqual({ up: 10 });
      // Another change reloads HAProxy: the servers come back from the file.
      await client.createBackend({ name: "rt_other" });
      expect(await reloadCount(bench)).toBe(before + 1);
      expect(await sendThrough(router, "rt", 10)).toEqual({ up: 10 });
      const before2 = await reloadCount(bench);
      await Promise.all(Array.from({ length: 5 }, (_, i) => client.deleteServer("rt", `r${i}`)));
      expect(await reloadCount(bench)).toBe(before2);
      expect(haproxyCfg(bench)).not.toMatch(/^\s+server r\d /m);
      expect(await sendThrough(router, "rt", 2)).toEqual({ "HTTP 503": 2 });
      await client.deleteBackend("rt");
      await client.deleteBackend("rt_other");
    });

    test("a server with health checks is added by a reload, since HAProxy would not check it if added at runtime", async () => {
      await client.createBackend({ name: "chk", balance: { algorithm: "roundrobin" } });
      const before = await reloadCount(bench);
      await client.createServer("chk", { name: "c1", address: "127.0.0.1", port: up.port, check: "enabled", inter: 100, maintenance: "disabled" });
      expect(await reloadCount(bench)).toBe(before + 1);
      let status = "";
      for (let i = 0; i < 30 && !/L4OK|L7OK/.test(status); i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await bench.runtime("show stat chk 4 -1")).split("\n").find((l) => l.startsWith("chk,c1,")) ?? "";
      }
      expect(status).toMatch(/L4OK|L7OK/);
      await client.deleteBackend("chk");
    });

    test("creating what exists is its own error, not retried", async () => {
      await client.createBackend({ name: "twice" });
      const err = await client.createBackend({ name: "twice" }).catch((e) => e);
      expect(isDpapiError(err, "DPAPI_EXISTS")).toBe(true);
      expect(err.message).toMatch(/already exists/);
      await client.deleteBackend("twice");
    });

    test("a version conflict caused by an outside write is retried with a fresh version", async () => {
      let raced = false;
      const racing = clientWith((http) => ({
        ...http,
        async request(req) {
          // Just before our first versioned write lands, someone else writes.
          if (!raced && req.method === "POST" && req.query?.version !== undefined) {
            raced = true;
            expect((await rawWrite(bench, "POST", "/services/haproxy/configuration/backends", { name: "outsider" })).status).toBe(202);
          }
          return http.request(req);
        },
      }));
      await racing.createBackend({ name: "raced" });
      expect(raced).toBe(true);
      expect(racing.stats().versionRetries).toBeGreaterThanOrEqual(1);
      expect(await client.getBackend("raced")).toBeDefined();
      await client.deleteBackend("raced");
      await client.deleteBackend("outsider");
    });

    test("50 concurrent writes all succeed without a 409 reaching a caller, sharing transactions and reloads", async () => {
      const reloadsBefore = await reloadCount(bench);
      const own = clientWith((h) => h);
      const names = Array.from({ length: 50 }, (_, i) => `many_${i}`);
      await Promise.all(names.map((name) => own.createBackend({ name })));
      const live = (await client.listBackends()).map((b) => b.name);
      for (const n of names) expect(live).toContain(n);
      const reloads = (await reloadCount(bench)) - reloadsBefore;
      expect(own.stats().transactions).toBeGreaterThanOrEqual(1);
      expect(reloads).toBeLessThanOrEqual(5);
      await Promise.all(names.map((name) => own.deleteBackend(name)));
    });

    test("backends created at once with their servers: one transaction, one reload, and each backend's servers in the declared order, sorted by name or not", async () => {
      const reloadsBefore = await reloadCount(bench);
      const own = clientWith((h) => h);
      const declared = [["s0", "s1", "s2"], ["s2", "s10", "s1"], ["b", "a"], ["a", "b"]];
      const names = declared.map((_, b) => `order_${b}`);
      const servers = (b: number) => declared[b].map((name, i) => ({ name, address: "127.0.0.1", port: up.port, weight: 10 + i, maintenance: "disabled" as const }));
      await Promise.all(names.map((name, b) => own.changeBackend({ name, create: { name, balance: { algorithm: "roundrobin" } }, addServers: servers(b) })));
      expect(own.stats().transactions).toBe(1);
      expect((await reloadCount(bench)) - reloadsBefore).toBe(1);
      const cfg = haproxyCfg(bench);
      for (const [b, name] of names.entries()) {
        // haproxy.cfg order is what HAProxy numbers servers by (`balance first`, hashing).
        const section = cfg.split(/^backend /m).find((s) => s.startsWith(`${name} `) || s.startsWith(`${name}\n`))!;
        expect([...section.matchAll(/^\s+server (\S+) 127\.0\.0\.1:\d+.*weight (\d+)/gm)].map((m) => `${m[1]}:${m[2]}`))
          .toEqual(servers(b).map((s) => `${s.name}:${s.weight}`));
        expect((await client.listServers(name)).map((s) => s.name)).toEqual(declared[b]);
      }
      expect(await sendThrough(router, "order_1", 3)).toEqual({ up: 3 });
      await Promise.all(names.map((name) => own.deleteBackend(name)));
    });

    test("changes to one backend that share a reloading batch (a replace, four server deletes) all land, one at a time, in one transaction", async () => {
      const names = Array.from({ length: 6 }, (_, i) => `p${i}`);
      await client.changeBackend({ name: "pos", create: { name: "pos" }, addServers: names.map((name) => ({ name, address: "127.0.0.1", port: up.port, maintenance: "disabled" as const })) });
      // DPAPI deletes a server by the position it looked up a step earlier, so writes into one backend must go one
      // at a time even inside one transaction: count how many are in flight at once.
      let inFlight = 0;
      let mostInFlight = 0;
      const own = clientWith((http) => ({
        ...http,
        async request(req) {
          const intoPos = req.method !== "GET" && (/\/backends\/pos(\/|$)/.test(req.path) || req.query?.backend === "pos");
          if (!intoPos) return http.request(req);
          mostInFlight = Math.max(mostInFlight, ++inFlight);
          try { return await http.request(req); } finally { inFlight--; }
        },
      }));
      // The backend's replace needs a reload, so the server deletes beside it are written into the committed transaction.
      await Promise.all([
        own.replaceBackend({ name: "pos", balance: { algorithm: "leastconn" } }),
        ...["p0", "p2", "p3", "p5"].map((n) => own.deleteServer("pos", n)),
      ]);
      expect(own.stats().transactions).toBe(1);
      expect(mostInFlight).toBe(1);
      expect((await client.listServers("pos")).map((s) => s.name)).toEqual(["p1", "p4"]);
      expect((await client.getBackend("pos"))?.balance?.algorithm).toBe("leastconn");
      await client.deleteBackend("pos");
    });

    test("a change DPAPI refuses midway fails alone, leaves nothing of itself, and its companions land", async () => {
      const own = clientWith((h) => h);
      const server = (name: string) => ({ name, address: "127.0.0.1", port: up.port, maintenance: "disabled" as const });
      const change = (name: string, servers: string[]) => own.changeBackend({ name, create: { name }, addServers: servers.map(server) });
      const results = await Promise.allSettled([
        change("mid_a", ["a3", "a2", "a1"]),
        // Its backend is written before DPAPI refuses to delete a server the backend does not have.
        own.changeBackend({ name: "mid_b", create: { name: "mid_b" }, addServers: [server("b1")], deleteServers: ["ghost"] }),
        change("mid_c", ["c1", "c2", "c3"]),
        change("mid_d", ["d1"]),
      ]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
      expect((results[1] as PromiseRejectedResult).reason.message).toMatch(/ghost/);
      expect(await client.getBackend("mid_b")).toBeUndefined();
      expect(haproxyCfg(bench)).not.toMatch(/^backend mid_b/m);
      expect((await client.listServers("mid_a")).map((s) => s.name)).toEqual(["a3", "a2", "a1"]);
      expect((await client.listServers("mid_c")).map((s) => s.name)).toEqual(["c1", "c2", "c3"]);
      expect((await client.listServers("mid_d")).map((s) => s.name)).toEqual(["d1"]);
      await Promise.all(["mid_a", "mid_c", "mid_d"].map((n) => own.deleteBackend(n)));
    });

    test("a transaction made outdated by another commit is replayed in a new one", async () => {
      let interfered = false;
      const own = clientWith((http) => ({
        ...http,
        async request(req) {
          if (!interfered && req.method === "PUT" && /\/transactions\//.test(req.path)) {
            interfered = true;
            expect((await rawWrite(bench, "POST", "/services/haproxy/configuration/backends", { name: "interloper" })).status).toBe(202);
          }
          return http.request(req);
        },
      }));
      await Promise.all([own.createBackend({ name: "tx_a" }), own.createBackend({ name: "tx_b" })]);
      expect(interfered).toBe(true);
      expect(own.stats().replays).toBeGreaterThanOrEqual(1);
      for (const n of ["tx_a", "tx_b", "interloper"]) expect(await client.getBackend(n)).toBeDefined();
      await Promise.all(["tx_a", "tx_b", "interloper"].map((n) => client.deleteBackend(n)));
    });

    test("one invalid write among ten concurrent ones fails alone, with HAProxy's message", async () => {
      await client.createBackend({ name: "iso" });
      const own = clientWith((h) => h);
      const writes = Array.from({ length: 10 }, (_, i) => i === 6
        // Passes the API's schema; only HAProxy's own check of the whole file rejects it.
        ? own.createServer("iso", { name: "bad", address: "no-such-host.invalid", port: 80, maintenance: "disabled" })
        : own.createServer("iso", { name: `ok${i}`, address: "127.0.0.1", port: up.port, maintenance: "disabled" }));
      const results = await Promise.allSettled(writes);
      const failed = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
      expect(failed).toHaveLength(1);
      expect(results[6].status).toBe("rejected");
      expect(isDpapiError(failed[0].reason, "DPAPI_VALIDATION")).toBe(true);
      expect(failed[0].reason.message).toMatch(/no-such-host\.invalid/);
      expect((await client.listServers("iso")).map((s) => s.name).sort()).toEqual(["ok0", "ok1", "ok2", "ok3", "ok4", "ok5", "ok7", "ok8", "ok9"]);
      await client.deleteBackend("iso");
    });

    test("a reload HAProxy rejects is a clear error carrying its output, and haproxy.cfg is as before", async () => {
      const before = haproxyCfg(bench).replace(/^# _md5hash=.*\n|^# _version=.*\n/gm, "");
      bench.failNextReload("[ALERT] bench: simulated reload failure");
      const err = await client.createBackend({ name: "doomed" }).catch((e) => e);
      expect(isDpapiError(err, "DPAPI_RELOAD_FAILED")).toBe(true);
      expect(err.message).toMatch(/simulated reload failure/);
      const after = haproxyCfg(bench).replace(/^# _md5hash=.*\n|^# _version=.*\n/gm, "");
      expect(after).not.toMatch(/^backend doomed$/m);
      expect(after).toBe(before);
      // DPAPI restores the file but keeps the failed change in memory; the client makes it forget it, so that the
      // next write neither brings the failed change back nor meets "already exists".
      expect((await client.listBackends()).map((b) => b.name)).not.toContain("doomed");
      await client.createBackend({ name: "doomed" });
      expect(haproxyCfg(bench)).toMatch(/^backend doomed\b/m);
      await client.deleteBackend("doomed");
    });

    test("wrong password: a clear error that never contains the password", async () => {
      const secret = "s3cret-" + Math.random().toString(36).slice(2);
      const err = await connect({ ...conn(), password: secret }).catch((e) => e);
      expect(isDpapiError(err, "DPAPI_AUTH")).toBe(true);
      expect(err.message).toMatch(/refused the credentials/);
      expect(`${err.message}\n${err.stack}\n${JSON.stringify(err)}`).not.toContain(secret);
    });
  });
}

describe("DPAPI client without a working endpoint", () => {
  test("nothing listening: a clear error naming the URL", async () => {
    const port = await freePort();
    const err = await connect({ url: `http://127.0.0.1:${port}`, username: "u", password: "p", timeoutMs: 2000 }).catch((e) => e);
    expect(isDpapiError(err, "DPAPI_UNREACHABLE")).toBe(true);
    expect(err.message).toContain(`http://127.0.0.1:${port}`);
  });

  test("an endpoint that never answers: a timeout error, not a hang", async () => {
    // A fake server is fine for this one rare path: it accepts and stays silent.
    const silent = createServer(() => { /* never answers */ });
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as { port: number }).port;
    try {
      const err = await connect({ url: `http://127.0.0.1:${port}`, username: "u", password: "p", timeoutMs: 500 }).catch((e) => e);
      expect(isDpapiError(err, "DPAPI_TIMEOUT")).toBe(true);
      expect(err.message).toMatch(/did not answer within 500 ms/);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});

