// SpoeFile and GeneralFile through real Pulumi programs against a real HAProxy and DPAPI, both generations, with a
// real SPOE agent (test/support/spoa-agent.ts, written on HAProxy's SPOP protocol) on loopback:
// - a Frontend's SPOE filter sends `check-request` for every request; the agent sets sess.auth.denied under /admin,
//   so /admin gets 403 and the rest 200, and the agent counts exactly the requests sent;
// - a new argument in the SPOE file reaches the agent after `up` (HAProxy reloads: haproxy.cfg names the file);
// - an SPOE file HAProxy would reject fails at preview with HAProxy's message, naming this file, changing nothing;
// - a GeneralFile served by a `return ... file` rule; a change to a file haproxy.cfg names reloads, one to a file it
//   does not name does not; drift on refresh; a file still named cannot be deleted; destroy removes both kinds.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startBench, freePort, type Bench } from "../bench/bench";
import { programStack, type Declared, type ProgramStack } from "../support/pulumi";
import { startUpstream, type Upstream } from "../support/upstreams";
import { accessLogLines, configVersion, haproxyCfg, openTransactions, rawUpload, reloadCount } from "../support/dpapi";
import { GENERATIONS, describeWith } from "../support/requires";
import { stateOutputs, writeRequests } from "../support/haproxy-files";
import { startSpoaAgent, type SpoaAgent } from "../support/spoa-agent";
import { adminDenied } from "../../examples/spoe/agent";

const spoeContents = (args: string) => [
  "[auth]",
  "spoe-agent auth-agent",
  "    messages check-request",
  "    option var-prefix auth",
  "    timeout hello 2s",
  "    timeout idle 2m",
  "    timeout processing 500ms",
  "    use-backend spoa-auth",
  "spoe-message check-request",
  `    args ${args}`,
  "    event on-frontend-http-request",
  "",
].join("\n");

interface State {
  args: string;
  spoe: boolean;
  /** The Frontend names the SPOE file by its path as text (no dependency), as a hand-kept haproxy.cfg would. */
  spoeByText?: boolean;
  page?: string;
  notes?: string;
  frontend: boolean;
}

for (const gen of GENERATIONS) {
  describeWith([gen, "pulumi"], `SpoeFile and GeneralFile on DPAPI ${gen}`, () => {
    let bench: Bench; let ps: ProgramStack; let web: Upstream; let agent: SpoaAgent; let webPort: number;
    const spoePath = () => join(bench.dir, "spoe", "auth.conf");
    const pagePath = () => join(bench.dir, "general", "maint.http");

    const declared = (s: State): Declared[] => [
      { type: "Backend", name: "spoa-auth", args: { mode: "tcp" } },
      { type: "Server", name: "agent-1", args: { backend: { $ref: "spoa-auth.name" }, address: "127.0.0.1", port: agent.port } },
      { type: "Backend", name: "web", args: { mode: "http", filters: [{ type: "compression" }] } },
      { type: "Server", name: "web-1", args: { backend: { $ref: "web.name" }, address: "127.0.0.1", port: web.port } },
      ...(s.spoe ? [{ type: "SpoeFile" as const, name: "auth", args: { name: "auth.conf", contents: spoeContents(s.args) } }] : []),
      ...(s.page !== undefined ? [{ type: "GeneralFile" as const, name: "page", args: { name: "maint.http", contents: s.page } }] : []),
      ...(s.notes !== undefined ? [{ type: "GeneralFile" as const, name: "notes", args: { name: "notes.txt", contents: s.notes } }] : []),
      { type: "GeneralFile", name: "blocklist", args: { name: "blocked.lst", contents: "/blocked\n/forbidden\n" } },
      ...(s.frontend ? [{ type: "Frontend" as const, name: "edge", args: {
        mode: "http",
        binds: [{ address: "127.0.0.1", port: webPort }],
        filters: [{ type: "spoe", engine: "auth", config: s.spoeByText ? spoePath() : { $ref: "auth.path" } }],
        // An ACL pattern file from general storage.
        acls: [{ name: "blocked", criterion: "path_beg", value: { $concat: ["-f ", { $ref: "blocklist.path" }] } }],
        httpRequestRules: [
          { type: "deny", status: 404, if: "blocked" },
          ...(s.page !== undefined ? [{ type: "return", status: 503, contentType: "text/html", file: { $ref: "page.path" }, if: "{ path_beg /maint }" }] : []),
          { type: "deny", if: "{ var(sess.auth.denied) -m bool }" },
        ],
        defaultBackend: { $ref: "web.name" },
      } }] : []),
    ];
    let current: State;
    const declare = async (s: State) => { current = s; await ps.declare(declared(s)); };
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${webPort}${path}`, { headers: { connection: "close" } });
      return { status: res.status, body: await res.text() };
    };

    beforeAll(async () => {
      bench = await startBench({ dataplane: gen });
      web = await startUpstream("web");
      agent = await startSpoaAgent(adminDenied);
      webPort = await freePort();
      ps = await programStack(bench);
    });
    afterAll(async () => {
      await ps?.dispose();
      await bench?.stop();
      await web?.close();
      await agent?.stop();
    });

    test("a Frontend's SPOE filter asks the real agent about every request: /admin gets 403, the rest 200", async () => {
      await declare({ args: "path=path", spoe: true, page: "<h1>back soon</h1>\n", notes: "v1\n", frontend: true });
      const up = await ps.stack.up();
      expect(up.summary.result).toBe("succeeded");
      expect((await stateOutputs(ps, "SpoeFile", "auth"))?.path).toBe(spoePath());
      expect(readFileSync(spoePath(), "utf8")).toContain("spoe-agent auth-agent");
      expect(haproxyCfg(bench)).toContain(`filter spoe engine auth config ${spoePath()}`);
      expect(haproxyCfg(bench)).toMatch(/\nbackend web[^\n]*\n(  [^\n]*\n)*  filter compression\n/);

      const before = agent.count("check-request");
      const paths = ["/", "/admin", "/shop", "/admin/users", "/a", "/administrator", "/x", "/y", "/admin", "/z"];
      const statuses: number[] = [];
      for (const p of paths) statuses.push((await get(p)).status);
      expect(statuses).toEqual(paths.map((p) => (p.startsWith("/admin") ? 403 : 200)));
      expect(agent.count("check-request") - before).toBe(paths.length);
      expect(agent.messages.slice(-paths.length).map((m) => m.args.path)).toEqual(paths);
      expect((await get("/shop")).body).toBe("web");
      expect((await get("/forbidden/x")).status).toBe(404);

      // The GeneralFile is what the `return` rule answers with.
      expect(await get("/maint")).toEqual({ status: 503, body: "<h1>back soon</h1>\n" });
      expect((await stateOutputs(ps, "GeneralFile", "page"))?.path).toBe(pagePath());
      expect((await ps.stack.preview()).changeSummary).not.toHaveProperty("update");
    });

    test("a new argument in the SPOE file reaches the agent after up (haproxy.cfg names the file: one reload)", async () => {
      await declare({ ...current, args: "path=path method=method" });
      const version = await configVersion(bench);
      const preview = await ps.stack.preview({ diff: true });
      expect(preview.changeSummary).toMatchObject({ update: 1 });
      expect(preview.stdout).toContain("method=method");
      expect(await configVersion(bench)).toBe(version);
      expect(readdirSync(join(bench.dir, "spoe"))).toEqual(["auth.conf"]);

      const reloads = await reloadCount(bench);
      const up = await ps.stack.up();
      expect(up.summary.resourceChanges).toMatchObject({ update: 1 });
      expect(await reloadCount(bench)).toBe(reloads + 1);
      expect((await get("/admin")).status).toBe(403);
      const last = agent.messages[agent.messages.length - 1];
      expect(last.args).toMatchObject({ path: "/admin", method: "GET" });
      expect(await openTransactions(bench)).toEqual([]);
    });

    test("an SPOE file HAProxy would reject fails at preview with HAProxy's message about this file; nothing changes", async () => {
      const version = await configVersion(bench);
      const bad = { ...current, args: "path=path" };
      await ps.declare(declared(bad).map((r) => (r.type === "SpoeFile"
        ? { ...r, args: { name: "auth.conf", contents: spoeContents("path=path").replace("messages check-request", "messages check-request no-such-message") } } : r)));
      const err = await ps.stack.preview().then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(/SpoeFile "auth\.conf": contents: HAProxy rejected it/);
      if (gen === "v3") {
        expect(err?.message).toContain("no-such-message");
        expect(err?.message).not.toMatch(/pulumi-check-|pulumi_spoe_check/);
      }
      expect(await configVersion(bench)).toBe(version);
      expect(readdirSync(join(bench.dir, "spoe"))).toEqual(["auth.conf"]);
      expect(readFileSync(spoePath(), "utf8")).toContain("method=method");
      expect(await openTransactions(bench)).toEqual([]);

      // A file with no agent at all is refused by the provider itself, before any request.
      const logBefore = accessLogLines(bench).length;
      await ps.declare(declared(current).map((r) => (r.type === "SpoeFile" ? { ...r, args: { name: "auth.conf", contents: "[auth]\n" } } : r)));
      await expect(ps.stack.preview()).rejects.toThrow(/SpoeFile "auth\.conf": contents: declares no `spoe-agent` section/);
      expect(writeRequests(accessLogLines(bench).slice(logBefore))).toEqual([]);
      await declare(current);
    });

    test("a GeneralFile haproxy.cfg names reloads HAProxy when it changes; one it does not name does not", async () => {
      let reloads = await reloadCount(bench);
      await declare({ ...current, page: "<h1>back at noon</h1>\n" });
      await ps.stack.up();
      expect(await reloadCount(bench)).toBe(reloads + 1);
      expect(await get("/maint")).toEqual({ status: 503, body: "<h1>back at noon</h1>\n" });

      reloads = await reloadCount(bench);
      await declare({ ...current, notes: "v2\n" });
      const up = await ps.stack.up();
      expect(up.summary.resourceChanges).toMatchObject({ update: 1 });
      expect(await reloadCount(bench)).toBe(reloads);
      expect(readFileSync(join(bench.dir, "general", "notes.txt"), "utf8")).toBe("v2\n");
    });

    test("refresh shows hand edits of both files, and up puts the program's contents back", async () => {
      // As a person with curl would: the SPOE file deleted and uploaded again with other contents, the page replaced.
      const dp = bench.dataplane!;
      await fetch(`${dp.url}/${gen}/services/haproxy/spoe/spoe_files/auth.conf`, { method: "DELETE",
        headers: { authorization: "Basic " + Buffer.from(`${dp.username}:${dp.password}`).toString("base64") } });
      await rawUpload(bench, "POST", "/services/haproxy/spoe/spoe_files", "auth.conf", spoeContents("path=path"));
      if (gen === "v3") await rawUpload(bench, "PUT", "/services/haproxy/storage/general/notes.txt?skip_reload=true", "notes.txt", "edited by hand\n");
      else {
        await fetch(`${dp.url}/v2/services/haproxy/storage/general/notes.txt?skip_reload=true`, { method: "PUT", body: "edited by hand\n",
          headers: { "content-type": "text/plain", authorization: "Basic " + Buffer.from(`${dp.username}:${dp.password}`).toString("base64") } });
      }
      const refresh = await ps.stack.refresh();
      expect(refresh.summary.resourceChanges?.update).toBe(2);
      expect((await stateOutputs(ps, "GeneralFile", "notes"))?.contents).toBe("edited by hand\n");
      expect(String((await stateOutputs(ps, "SpoeFile", "auth"))?.contents)).not.toContain("method=method");
      const preview = await ps.stack.preview({ diff: true });
      expect(preview.changeSummary).toMatchObject({ update: 2 });

      await ps.stack.up();
      expect(readFileSync(spoePath(), "utf8")).toContain("method=method");
      expect(readFileSync(join(bench.dir, "general", "notes.txt"), "utf8")).toBe("v2\n");
      expect((await get("/admin")).status).toBe(403);
      expect(agent.messages[agent.messages.length - 1].args).toMatchObject({ method: "GET" });
      expect((await ps.stack.preview()).changeSummary).not.toHaveProperty("update");
    });

    test("a file haproxy.cfg still names cannot be deleted: the error names the line, and both files stay", async () => {
      // The Frontend keeps naming both files by their paths as text, as a frontend of another stack would.
      const edge = declared(current).find((r) => r.name === "edge")!;
      const args = edge.args as { filters: unknown[]; httpRequestRules: Array<Record<string, unknown>> };
      const pinned = { ...edge, args: { ...args,
        filters: [{ type: "spoe", engine: "auth", config: spoePath() }],
        httpRequestRules: args.httpRequestRules.map((r) => (r.type === "return" ? { ...r, file: pagePath() } : r)) } };
      await ps.declare([...declared({ ...current, spoe: false, page: undefined, frontend: false }), pinned]);
      const err = await ps.stack.up({ continueOnError: true }).then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(/SpoeFile "auth\.conf" cannot be deleted while haproxy\.cfg uses it: .*line \d+: filter spoe engine auth config/);
      expect(err?.message).toMatch(/GeneralFile "maint\.http" cannot be deleted while haproxy\.cfg uses it/);
      expect(existsSync(spoePath())).toBe(true);
      expect(existsSync(pagePath())).toBe(true);
      expect((await get("/admin")).status).toBe(403);
      await declare(current);
      await ps.stack.up();
    });

    test("destroy removes the Frontend, then both kinds of file", async () => {
      await ps.stack.destroy();
      expect(existsSync(spoePath())).toBe(false);
      expect(readdirSync(join(bench.dir, "general"))).toEqual([]);
      expect(haproxyCfg(bench)).not.toContain("filter spoe");
      expect(await openTransactions(bench)).toEqual([]);
    });
  });
}
