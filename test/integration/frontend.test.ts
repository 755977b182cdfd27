// Frontend through the real CLI, both generations: every kind of route takes
// traffic, HAProxy itself checks a change at preview (naming the field, writing
// nothing), drift, route order, adoption of a hand-written frontend, destroy.
import { createServer as createHttpsServer, request as httpsRequest } from "node:https";
import { CertFactory } from "../support/haproxy-files";
import { startBench, freePort, type Bench } from "../bench/bench";
import { programStack, type Declared, type ProgramStack } from "../support/pulumi";
import { configVersion, haproxyCfg, openTransactions, rawGet, rawWrite, reloadCount } from "../support/dpapi";
import { getOnPort, startUpstream, type Upstream } from "../support/upstreams";
import { describeWith, GENERATIONS } from "../support/requires";

for (const gen of GENERATIONS) {
  describeWith([gen, "pulumi"], `Frontend with dataplaneapi ${gen}`, () => {
    let bench: Bench;
    let ps: ProgramStack;
    let ups: Record<string, Upstream>;
    let port: number;
    let cfgBefore: string;

    /** One request through the frontend; which upstream answered, or the status. */
    const get = (path: string, host = "www.example.com") => getOnPort(port, host, path);

    type Options = { apiPath?: string; routes?: unknown[]; acls?: unknown[]; extraRules?: unknown[] };
    function declared(o: Options = {}): Declared[] {
      const backend = (name: string) => ({ type: "Backend" as const, name, args: { balance: { algorithm: "roundrobin" },
        servers: [{ name: `${name}-1`, address: "127.0.0.1", port: ups[name].port }] } });
      return [
        backend("api"), backend("admin"), backend("site"),
        { type: "MapFile", name: "hosts", args: { name: "hosts.map", entries: { "mapped.example.com": "api" } } },
        { type: "Frontend", name: "web", args: {
          mode: "http",
          binds: [{ address: "127.0.0.1", port }],
          acls: o.acls ?? [
            { name: "is_api", criterion: "path_beg", value: o.apiPath ?? "/api" },
            { name: "host_admin", criterion: "hdr(host)", value: "admin.example.com" },
          ],
          httpRequestRules: [
            { type: "set-header", name: "X-Forwarded-Proto", value: "http" },
            { type: "return", status: 200, contentType: "text/plain", content: "pong", if: "{ path /ping }" },
            ...(o.extraRules ?? []),
          ],
          routes: o.routes ?? [
            { backend: { $ref: "api.name" }, if: "is_api" },
            { backend: { $ref: "admin.name" }, if: "host_admin", unless: "is_api" },
            { backend: { $concat: ["%[req.hdr(host),lower,map(", { $ref: "hosts.path" }, ")]"] }, if: { $concat: ["{ req.hdr(host),lower,map(", { $ref: "hosts.path" }, ") -m found }"] } },
          ],
          defaultBackend: { $ref: "site.name" },
          timeouts: { client: 30000, httpRequest: 10000 },
          forwardFor: true,
          maxconn: 1000,
        } },
      ];
    }

    beforeAll(async () => {
      bench = await startBench({ dataplane: gen });
      ups = { api: await startUpstream("api"), admin: await startUpstream("admin"), site: await startUpstream("site") };
      port = await freePort();
      ps = await programStack(bench);
      cfgBefore = haproxyCfg(bench);
    });
    afterAll(async () => {
      await ps?.dispose();
      await bench?.stop();
      for (const u of Object.values(ups ?? {})) await u.close();
    });
    afterEach(async () => { expect(await openTransactions(bench)).toEqual([]); });

    test("up creates the frontend: path ACL, host ACL, map route, default backend and a rule all take traffic", async () => {
      await ps.declare(declared());
      const res = await ps.stack.up();
      expect(res.summary.resourceChanges).toMatchObject({ create: 6 });
      expect(await get("/api/x")).toBe("api");
      expect(await get("/x", "admin.example.com")).toBe("admin");
      expect(await get("/api/x", "admin.example.com")).toBe("api");
      expect(await get("/", "mapped.example.com")).toBe("api");
      expect(await get("/")).toBe("site");
      expect(await get("/ping")).toBe("pong");
      expect((await ps.stack.preview()).changeSummary).toEqual({ same: 6 });
    });

    test("preview --diff of one changed ACL value names that field only, is checked by HAProxy, and writes nothing", async () => {
      await ps.declare(declared({ apiPath: "/v2" }));
      const version = await configVersion(bench);
      const cfg = haproxyCfg(bench);
      const reloads = await reloadCount(bench);
      const preview = await ps.stack.preview({ diff: true });
      expect(preview.changeSummary).toMatchObject({ update: 1, same: 5 });
      expect(preview.stdout).toMatch(/~\s*value\s*:\s*"\/api"\s*=>\s*"\/v2"/);
      expect(preview.stdout).not.toMatch(/~\s*(address|port|criterion|backend)\s*:/);
      expect(await configVersion(bench)).toBe(version);
      expect(haproxyCfg(bench)).toBe(cfg);
      expect(await reloadCount(bench)).toBe(reloads);
      expect(await openTransactions(bench)).toEqual([]);
      const up = await ps.stack.up();
      expect(up.summary.resourceChanges).toMatchObject({ update: 1 });
      expect(await reloadCount(bench)).toBe(reloads + 1);
      expect(await get("/v2/x")).toBe("api");
      expect(await get("/api/x")).toBe("site");
    });

    test("bad input fails at preview naming the field (HAProxy's message where HAProxy found it), with no write", async () => {
      const version = await configVersion(bench);
      const cfg = haproxyCfg(bench);
      const reloads = await reloadCount(bench);
      const frontend = (args: Record<string, unknown>) => [...declared().slice(0, 4), { type: "Frontend" as const, name: "web", args: { ...(declared()[4].args as object), ...args } }];
      const cases: Array<[Declared[], RegExp]> = [
        [frontend({ acls: [{ name: "is_api", criterion: "foo_bar", value: "/api" }, { name: "host_admin", criterion: "hdr(host)", value: "a" }] }),
          gen === "v3" ? /acls\[0\]\.criterion: HAProxy rejected it: .*unknown fetch method 'foo_bar'/ : /HAProxy rejected the configuration/],
        [frontend({ routes: [{ backend: "api", if: "no_such_acl" }] }),
          gen === "v3" ? /routes\[0\]\.if: HAProxy rejected it: .*no such ACL 'no_such_acl'/ : /HAProxy rejected the configuration/],
        [frontend({ binds: [{ address: "127.0.0.1", port: 70000 }] }), /Frontend "web": binds\.0\.port: must be from 1 to 65535/],
        [frontend({ binds: [{ port: 8080 }] }), /Frontend "web": binds\.0\.address: /],
        [frontend({ routes: [{ backend: "api", if: "is_api", unless: "a b" }] }), /routes\.0\.unless: with `if`, `unless` must be one term/],
      ];
      try {
        for (const [resources, message] of cases) {
          await ps.declare(resources);
          await expect(ps.stack.preview()).rejects.toThrow(message);
        }
      } finally {
        await ps.declare(declared({ apiPath: "/v2" }));
      }
      expect(await configVersion(bench)).toBe(version);
      expect(haproxyCfg(bench)).toBe(cfg);
      expect(await reloadCount(bench)).toBe(reloads);
    });

    test("a port another frontend binds, a missing certificate and a missing backend fail naming the field, and change nothing", async () => {
      const version = await configVersion(bench);
      const other = (args: Record<string, unknown>): Declared[] => [...declared({ apiPath: "/v2" }), { type: "Frontend", name: "other", args: { mode: "http", ...args } }];
      try {
        await ps.declare(other({ binds: [{ address: "127.0.0.1", port }] }));
        await expect(ps.stack.preview()).rejects.toThrow(new RegExp(`Frontend "other": binds\\[0\\]\\.port: 127\\.0\\.0\\.1:${port} is already bound by frontend web`));
        if (gen === "v3") {
          await ps.declare(other({ binds: [{ address: "127.0.0.1", port: await freePort(), ssl: { certificates: ["/nonexistent/site.pem"] } }] }));
          await expect(ps.stack.preview()).rejects.toThrow(/Frontend "other": binds\[0\]: HAProxy rejected it: .*unable to stat SSL certificate from file '\/nonexistent\/site\.pem'/);
        }
        // A backend the same update would create gets a stand-in at preview; at `up` HAProxy's refusal names the route.
        await ps.declare(other({ binds: [{ address: "127.0.0.1", port: await freePort() }], routes: [{ backend: "no_such_backend" }] }));
        await expect(ps.stack.up()).rejects.toThrow(gen === "v3"
          ? /Frontend "other": routes\[0\]\.backend: HAProxy rejected it: .*unable to find required use_backend: 'no_such_backend'/
          : /Frontend "other": .*no_such_backend/);
        expect(haproxyCfg(bench)).not.toMatch(/^frontend other/m);
      } finally {
        await ps.declare(declared({ apiPath: "/v2" }));
      }
      expect(await configVersion(bench)).toBe(version);
    });

    test("a rule added outside Pulumi shows as drift in refresh, and up removes it", async () => {
      const path = gen === "v3" ? "/services/haproxy/configuration/frontends/web/http_request_rules/0" : "/services/haproxy/configuration/http_request_rules?parent_type=frontend&parent_name=web";
      const res = await rawWrite(bench, "POST", path, { index: 0, type: "deny", deny_status: 403, cond: "if", cond_test: "{ path /blocked }" });
      expect(res.status).toBeLessThan(300);
      await new Promise((r) => setTimeout(r, 1500));
      expect(await get("/blocked")).toBe("HTTP 403");
      const refresh = await ps.stack.refresh();
      expect(refresh.summary.resourceChanges).toMatchObject({ update: 1 });
      await ps.stack.up();
      expect(haproxyCfg(bench)).not.toMatch(/deny_status 403 if \{ path \/blocked \}/);
      expect(await get("/blocked")).toBe("site");
    });

    test("reordering two routes changes which backend serves a request both match", async () => {
      const both = [{ backend: { $ref: "admin.name" }, if: "is_api" }, { backend: { $ref: "api.name" }, if: "is_api" }];
      await ps.declare(declared({ apiPath: "/v2", routes: both }));
      await ps.stack.up();
      expect(await get("/v2/x")).toBe("admin");
      await ps.declare(declared({ apiPath: "/v2", routes: [both[1], both[0]] }));
      await ps.stack.up();
      expect(await get("/v2/x")).toBe("api");
    });

    test("tcp mode routes TLS by SNI after an inspect-delay, passing the TLS through", async () => {
      const certs = new CertFactory();
      const tlsUpstream = async (name: string, cn: string) => {
        const c = certs.selfSigned(cn);
        const srv = createHttpsServer({ cert: c.cert, key: c.key }, (_req, res) => res.end(name));
        await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
        return { port: (srv.address() as { port: number }).port, close: () => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }) };
      };
      const apiTls = await tlsUpstream("api-tls", "api.test");
      const siteTls = await tlsUpstream("site-tls", "site.test");
      const tcpPort = await freePort();
      const tcpBackend = (name: string, p: number): Declared => ({ type: "Backend", name, args: { mode: "tcp", balance: { algorithm: "roundrobin" },
        servers: [{ name: `${name}-1`, address: "127.0.0.1", port: p }] } });
      try {
        await ps.declare([...declared({ apiPath: "/v2" }), tcpBackend("api_tls", apiTls.port), tcpBackend("site_tls", siteTls.port),
          { type: "Frontend", name: "sni", args: {
            mode: "tcp", binds: [{ address: "127.0.0.1", port: tcpPort }],
            acls: [{ name: "sni_api", criterion: "req_ssl_sni", value: "api.test" }],
            tcpRequestRules: [{ type: "inspect-delay", timeout: 5000 }, { type: "content", action: "accept", if: "{ req_ssl_hello_type 1 }" }],
            routes: [{ backend: { $ref: "api_tls.name" }, if: "sni_api" }],
            defaultBackend: { $ref: "site_tls.name" },
          } }]);
        await ps.stack.up();
        const via = (servername: string) => new Promise<string>((resolve, reject) => {
          const req = httpsRequest({ host: "127.0.0.1", port: tcpPort, path: "/", servername, rejectUnauthorized: false, headers: { connection: "close" } }, (res) => {
            let body = "";
            res.on("data", (d) => (body += d));
            res.on("end", () => resolve(body));
          });
          req.on("error", reject);
          req.end();
        });
        expect(await via("api.test")).toBe("api-tls");
        expect(await via("site.test")).toBe("site-tls");
        expect((await ps.stack.preview()).changeSummary).toEqual({ same: 9 });
      } finally {
        await ps.declare(declared({ apiPath: "/v2" }));
        await ps.stack.up();
        await apiTls.close();
        await siteTls.close();
      }
    });

    test("destroy removes the frontend and leaves haproxy.cfg's sections as before", async () => {
      await ps.stack.destroy();
      const sections = (cfg: string) => cfg.split("\n").filter((l) => /^(frontend|backend|listen) /.test(l)).map((l) => l.replace(/ from \S+/, ""));
      expect(sections(haproxyCfg(bench))).toEqual(sections(cfgBefore));
    });

    test("adopt: true takes over a hand-written frontend: its lists become the declared ones, `from` stays", async () => {
      const legacyPort = await freePort();
      const defaults = /^defaults (\S+)/m.exec(haproxyCfg(bench))?.[1];
      expect(defaults).toBeDefined();
      expect((await rawWrite(bench, "POST", "/services/haproxy/configuration/frontends", { name: "legacy", mode: "http", from: defaults })).status).toBeLessThan(300);
      const bindPath = gen === "v3" ? "/services/haproxy/configuration/frontends/legacy/binds" : "/services/haproxy/configuration/binds?frontend=legacy";
      expect((await rawWrite(bench, "POST", bindPath, { name: "old", address: "127.0.0.1", port: legacyPort })).status).toBeLessThan(300);
      const aclPath = gen === "v3" ? "/services/haproxy/configuration/frontends/legacy/acls/0" : "/services/haproxy/configuration/acls?parent_type=frontend&parent_name=legacy";
      expect((await rawWrite(bench, "POST", aclPath, { index: 0, acl_name: "old_acl", criterion: "path_beg", value: "/old" })).status).toBeLessThan(300);
      await ps.declare([
        { type: "Backend", name: "site", args: { balance: { algorithm: "roundrobin" }, servers: [{ name: "site-1", address: "127.0.0.1", port: ups.site.port }] } },
        { type: "Frontend", name: "legacy", args: { adopt: true, mode: "http", binds: [{ name: "old", address: "127.0.0.1", port: legacyPort }],
          acls: [{ name: "new_acl", criterion: "path_beg", value: "/new" }], defaultBackend: { $ref: "site.name" } } },
      ]);
      const res = await ps.stack.up();
      expect(res.summary.resourceChanges).toMatchObject({ create: 3 });
      const cfg = haproxyCfg(bench);
      expect(cfg).not.toMatch(/old_acl/);
      expect(cfg).toMatch(/acl new_acl path_beg \/new/);
      const fe = (await rawGet(bench, "/services/haproxy/configuration/frontends/legacy")) as { data?: { from?: string }; from?: string };
      expect((fe.data ?? fe).from).toBe(defaults);
      const r = await fetch(`http://127.0.0.1:${legacyPort}/`, { headers: { connection: "close" } });
      expect(await r.text()).toBe("site");
      await ps.stack.destroy();
    });
  });
}
