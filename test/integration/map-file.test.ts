// MapFile through real Pulumi programs against a real HAProxy and DPAPI, for
// both API generations: upload and path, live entry changes through the
// runtime API (no reload) that route real requests, file replacement when
// HAProxy has not loaded the map, drift on refresh, check failures that send
// nothing, a clear error when haproxy.cfg still uses the map, and clean-up.
// A Frontend of the same stack routes by the map (and sets headers from the
// others), which is what makes HAProxy load them.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startBench, freePort, type Bench } from "../bench/bench";
import { programStack, type Declared, type ProgramStack } from "../support/pulumi";
import { getOnPort, startUpstream, type Upstream } from "../support/upstreams";
import { accessLogLines, configVersion, haproxyCfg, rawGet, reloadCount } from "../support/dpapi";
import { GENERATIONS, describeWith } from "../support/requires";
import { stateOutputs, waitForMapLoaded, writeRequests } from "../support/haproxy-files";

/** The hosts map's default: no backend has this name, so HAProxy ignores the rule and, with no default backend, answers 503. */
const NO_BACKEND = "no_backend";

/** What the program declares: the maps' entries, the Frontend's extra http-request rules, and how the Frontend names the hosts map. */
interface State {
  hosts?: unknown;
  flags: unknown;
  big?: Record<string, string>;
  rules?: unknown[];
  /** "ref": the hosts MapFile's `path` output; "path": the same path as text (no dependency); false: no Frontend. */
  frontend: "ref" | "path" | false;
}

for (const gen of GENERATIONS) {
  describeWith([gen, "pulumi"], `MapFile on DPAPI ${gen}`, () => {
    let bench: Bench; let ps: ProgramStack; let blue: Upstream; let green: Upstream; let webPort: number;
    const hostsFile = () => join(bench.haproxy.mapsDir, "hosts.map");
    const flagsFile = () => join(bench.haproxy.mapsDir, "flags.map");
    const bigFile = () => join(bench.haproxy.mapsDir, "big.map");
    /** The line the Frontend's route becomes in haproxy.cfg. */
    const hostsRule = () => `use_backend %[req.hdr(host),lower,map(${hostsFile()},${NO_BACKEND})]`;
    /** One request with this Host through the Frontend: the upstream's name, or `HTTP <status>`. */
    const getWithHost = (host: string) => getOnPort(webPort, host);

    const upstreamsDeclared = (): Declared[] => [
      { type: "Backend", name: "blue", args: { mode: "http" } },
      { type: "Server", name: "blue-1", args: { backend: { $ref: "blue.name" }, address: "127.0.0.1", port: blue.port } },
      { type: "Backend", name: "green", args: { mode: "http" } },
      { type: "Server", name: "green-1", args: { backend: { $ref: "green.name" }, address: "127.0.0.1", port: green.port } },
    ];
    const hosts = (entries: unknown): Declared => ({ type: "MapFile", name: "hosts", args: { name: "hosts.map", entries } });
    const flags = (entries: unknown): Declared => ({ type: "MapFile", name: "flags", args: { name: "flags.map", entries } });
    const big = (entries: Record<string, string>): Declared => ({ type: "MapFile", name: "big", args: { name: "big.map", entries } });
    const web = (s: State): Declared => ({ type: "Frontend", name: "web", args: {
      mode: "http",
      binds: [{ address: "127.0.0.1", port: webPort }],
      httpRequestRules: s.rules ?? [],
      routes: [{ backend: { $concat: ["%[req.hdr(host),lower,map(", s.frontend === "path" ? hostsFile() : { $ref: "hosts.path" }, `,${NO_BACKEND})]`] } }],
    } });
    /** An http-request rule that sets a header from a map: HAProxy loads that map. */
    const headerFrom = (header: string, map: string, fetch: string, converter = "map"): unknown =>
      ({ type: "set-header", name: header, value: { $concat: [`%[${fetch},${converter}(`, { $ref: `${map}.path` }, ",none)]"] } });
    const declared = (s: State): Declared[] => [
      ...upstreamsDeclared(),
      ...(s.hosts === undefined ? [] : [hosts(s.hosts)]),
      flags(s.flags),
      ...(s.big ? [big(s.big)] : []),
      ...(s.frontend ? [web(s)] : []),
    ];
    let current: State;
    const declare = async (s: State) => { current = s; await ps.declare(declared(s)); };

    beforeAll(async () => {
      bench = await startBench({ dataplane: gen });
      blue = await startUpstream("blue");
      green = await startUpstream("green");
      webPort = await freePort();
      ps = await programStack(bench);
    });
    afterAll(async () => {
      await ps?.dispose();
      await bench?.stop();
      await blue?.close();
      await green?.close();
    });

    test("create uploads the map to DPAPI storage and outputs the absolute path haproxy.cfg references", async () => {
      await declare({
        hosts: { "www.test": "green", "app.test": "blue" },
        flags: [{ key: "/beta/", value: "on" }, { key: "/", value: "off" }],
        frontend: false,
      });
      const up = await ps.stack.up();
      expect(up.summary.result).toBe("succeeded");
      const out = await stateOutputs(ps, "MapFile", "hosts");
      expect(out?.path).toBe(hostsFile());
      // Object form: keys sorted; array form: declared order.
      expect(readFileSync(hostsFile(), "utf8")).toBe("app.test blue\nwww.test green\n");
      expect(readFileSync(flagsFile(), "utf8")).toBe("/beta/ on\n/ off\n");
      const stored = (await rawGet(bench, "/services/haproxy/storage/maps")) as Array<{ storage_name: string }>;
      expect(stored.map((m) => m.storage_name).sort()).toEqual(["flags.map", "hosts.map"]);

      // A Frontend starts using the map by its `path`; HAProxy loads it on the reload.
      await declare({ ...current, frontend: "ref" });
      expect((await ps.stack.up()).summary.resourceChanges).toMatchObject({ create: 1 });
      expect(haproxyCfg(bench)).toContain(hostsRule());
      await waitForMapLoaded(bench, "hosts.map");
      expect(await getWithHost("app.test")).toBe("blue");
      expect(await getWithHost("www.test")).toBe("green");
    });

    test("changing entries of a loaded map goes through the runtime API: live at once, no reload, file kept in sync", async () => {
      const reloads = await reloadCount(bench);
      const version = await configVersion(bench);
      const logBefore = accessLogLines(bench).length;
      await declare({ ...current, hosts: { "app.test": "green", "new.test": "blue" } });
      const up = await ps.stack.up();
      expect(up.summary.resourceChanges).toMatchObject({ update: 1 });

      expect(await getWithHost("app.test")).toBe("green");
      expect(await getWithHost("new.test")).toBe("blue");
      // No longer in the map: the map's default names no backend, and the Frontend has no default backend.
      expect(await getWithHost("www.test")).toBe("HTTP 503");
      expect(await reloadCount(bench)).toBe(reloads);
      expect(await configVersion(bench)).toBe(version);
      // The file on disk has the new entries, so the next reload loads the same map.
      expect(readFileSync(hostsFile(), "utf8")).toBe("app.test green\nnew.test blue\n");
      const writes = writeRequests(accessLogLines(bench).slice(logBefore));
      const runtimePath = gen === "v3" ? "/v3/services/haproxy/runtime/maps/hosts.map/entries" : "/v2/services/haproxy/runtime/maps_entries";
      expect(writes.filter((l) => l.includes(runtimePath)).length).toBe(3); // set app.test, delete www.test, add new.test
      // DPAPI logs every query parameter, defaults included.
      const fileWrites = writes.filter((l) => l.includes("PUT /" + gen + "/services/haproxy/storage/maps/hosts.map"));
      expect(fileWrites.length).toBe(1);
      expect(fileWrites[0]).toContain("skip_reload=true");
    });

    test("changing entries of a map HAProxy has not loaded replaces the stored file, no reload", async () => {
      const reloads = await reloadCount(bench);
      const logBefore = accessLogLines(bench).length;
      await declare({ ...current, flags: [{ key: "/beta/", value: "off" }, { key: "/gamma/", value: "on" }, { key: "/", value: "off" }] });
      const up = await ps.stack.up();
      expect(up.summary.resourceChanges).toMatchObject({ update: 1 });
      expect(readFileSync(flagsFile(), "utf8")).toBe("/beta/ off\n/gamma/ on\n/ off\n");
      expect(await reloadCount(bench)).toBe(reloads);
      const writes = writeRequests(accessLogLines(bench).slice(logBefore));
      expect(writes.filter((l) => l.includes("storage/maps/flags.map") && l.includes("skip_reload=true")).length).toBe(1);
      expect(writes.some((l) => l.includes("/runtime/"))).toBe(false);
    });

    test("refresh reports entries changed outside Pulumi as drift, and up puts them back", async () => {
      // In HAProxy's memory (runtime API) for the loaded map, in the file for the other one.
      await bench.runtime(`set map ${hostsFile()} app.test blue`);
      writeFileSync(flagsFile(), "/beta/ off\n/gamma/ on\n/ on\n");
      expect(await getWithHost("app.test")).toBe("blue");

      const refresh = await ps.stack.refresh();
      expect(refresh.summary.resourceChanges?.update).toBeGreaterThanOrEqual(2);
      expect((await stateOutputs(ps, "MapFile", "hosts"))?.entries).toEqual({ "app.test": "blue", "new.test": "blue" });
      expect((await stateOutputs(ps, "MapFile", "flags"))?.entries).toEqual([
        { key: "/beta/", value: "off" }, { key: "/gamma/", value: "on" }, { key: "/", value: "on" }]);
      const preview = await ps.stack.preview({ diff: true });
      expect(preview.changeSummary).toMatchObject({ update: 2 });
      expect(preview.stdout).toContain("app.test");

      const reloads = await reloadCount(bench);
      await ps.stack.up();
      expect(await getWithHost("app.test")).toBe("green");
      expect(readFileSync(flagsFile(), "utf8")).toBe("/beta/ off\n/gamma/ on\n/ off\n");
      expect(await reloadCount(bench)).toBe(reloads);
      const again = await ps.stack.preview();
      expect(again.changeSummary).not.toHaveProperty("update");
    });

    test("an ordered map HAProxy has loaded keeps the declared order: appends at runtime, a reorder reloads", async () => {
      // The Frontend starts using the flags map too.
      await declare({ ...current, rules: [headerFrom("x-flag", "flags", "path", "map_sub")] });
      expect((await ps.stack.up()).summary.resourceChanges).toMatchObject({ update: 1 });
      expect(haproxyCfg(bench)).toContain(`http-request set-header x-flag %[path,map_sub(${flagsFile()},none)]`);
      await waitForMapLoaded(bench, "flags.map");
      const liveOrder = async () => (await bench.runtime(`show map ${flagsFile()}`)).trim().split("\n").map((l) => l.split(" ").slice(1).join(" "));
      expect(await liveOrder()).toEqual(["/beta/ off", "/gamma/ on", "/ off"]);

      const reloads = await reloadCount(bench);
      const appended = [{ key: "/beta/", value: "on" }, { key: "/gamma/", value: "on" }, { key: "/", value: "off" }, { key: "/new/", value: "on" }];
      await declare({ ...current, flags: appended });
      await ps.stack.up();
      expect(await liveOrder()).toEqual(["/beta/ on", "/gamma/ on", "/ off", "/new/ on"]);
      expect(await reloadCount(bench)).toBe(reloads);

      // HAProxy cannot move entries at runtime: the file is replaced and HAProxy reloads to take the new order.
      const reordered = [{ key: "/new/", value: "on" }, { key: "/beta/", value: "on" }, { key: "/gamma/", value: "on" }, { key: "/", value: "off" }];
      await declare({ ...current, flags: reordered });
      await ps.stack.up();
      expect(await reloadCount(bench)).toBe(reloads + 1);
      expect(readFileSync(flagsFile(), "utf8")).toBe("/new/ on\n/beta/ on\n/gamma/ on\n/ off\n");
      expect(await liveOrder()).toEqual(["/new/ on", "/beta/ on", "/gamma/ on", "/ off"]);
      expect((await ps.stack.preview()).changeSummary).not.toHaveProperty("update");
      await declare({ ...current, rules: [] });
      await ps.stack.up();
    });

    test("many changes to a large loaded map replace all its entries at once, still without a reload", async () => {
      const table = (v: (i: number) => string) =>
        Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`tenant${String(i).padStart(4, "0")}.test`, v(i)]));
      await declare({ ...current, big: table((i) => (i % 2 ? "blue" : "green")) });
      await ps.stack.up();
      await declare({ ...current, rules: [headerFrom("x-tenant", "big", "req.hdr(host)")] });
      await ps.stack.up();
      await waitForMapLoaded(bench, "big.map");

      const reloads = await reloadCount(bench);
      const logBefore = accessLogLines(bench).length;
      const flipped = table((i) => (i % 2 ? "green" : "blue"));
      await declare({ ...current, big: flipped });
      await ps.stack.up();
      expect(await reloadCount(bench)).toBe(reloads);
      const live = (await bench.runtime(`show map ${bigFile()}`)).trim().split("\n").map((l) => l.split(" ").slice(1));
      expect(Object.fromEntries(live)).toEqual(flipped);
      expect(live.length).toBe(1000);
      // One payload request (DPAPI's prepare/add/commit map) instead of 1000 entry requests.
      const writes = writeRequests(accessLogLines(bench).slice(logBefore));
      expect(writes.filter((l) => l.includes(`PUT /${gen}/services/haproxy/runtime/maps/big.map?`) || l.includes(`PUT /${gen}/services/haproxy/runtime/maps/big.map `)).length).toBe(1);
      expect(writes.filter((l) => /maps_entries|\/entries/.test(l)).length).toBe(0);
      expect(readFileSync(bigFile(), "utf8")).toBe(Object.entries(flipped).map(([k, v]) => `${k} ${v}\n`).join(""));

      // One up: the Frontend stops using the map, then the map goes.
      await declare({ ...current, big: undefined, rules: [] });
      expect((await ps.stack.up()).summary.resourceChanges).toMatchObject({ update: 1, delete: 1 });
      expect(existsSync(bigFile())).toBe(false);
    });

    test.each([
      ["an empty map name", { name: "", entries: { a: "b" } }, /name: must be a file name/],
      ["a map name DPAPI would rename", { name: "my hosts.map" }, /name: must be a file name/],
      ["a key with whitespace", { name: "bad.map", entries: { "a b": "x" } }, /entries\.a b: key must be non-empty, without whitespace/],
      ["a value with whitespace", { name: "bad.map", entries: [{ key: "a", value: "x y" }] }, /entries\.0\.value: must be non-empty and without whitespace/],
      ["both entries and contents", { name: "bad.map", entries: { a: "b" }, contents: "a b\n" }, /either entries or contents/],
      ["duplicate ordered keys", { name: "bad.map", entries: [{ key: "a", value: "1" }, { key: "a", value: "2" }] }, /duplicate key "a"/],
    ])("check refuses %s before any request", async (_what, args, message) => {
      const version = await configVersion(bench);
      const writesBefore = writeRequests(accessLogLines(bench)).length;
      await ps.declare([...declared(current), { type: "MapFile", name: "bad", args }]);
      await expect(ps.stack.up()).rejects.toThrow(message);
      expect(await configVersion(bench)).toBe(version);
      expect(writeRequests(accessLogLines(bench)).length).toBe(writesBefore);
      await declare(current);
    });

    test("deleting a map haproxy.cfg still uses fails with an error naming the reference", async () => {
      // The Frontend keeps its route and names the file by its path (as a frontend of another stack would): the map goes alone.
      await ps.declare(declared({ ...current, hosts: undefined, frontend: "path" }));
      const err = await ps.stack.up().then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(/MapFile "hosts\.map" cannot be deleted while haproxy\.cfg uses it/);
      expect(err?.message).toContain(hostsRule());
      expect(err?.message).toMatch(/line \d+/);
      expect(existsSync(hostsFile())).toBe(true);
      expect(await getWithHost("app.test")).toBe("green");
    });

    test("destroy removes the maps once nothing references them", async () => {
      // The Frontend goes first; then nothing references the maps.
      await declare({ ...current, frontend: false });
      expect((await ps.stack.up()).summary.resourceChanges).toMatchObject({ delete: 1 });
      expect(await getWithHost("app.test")).toMatch(/^error /);
      await ps.stack.destroy();
      const stored = (await rawGet(bench, "/services/haproxy/storage/maps")) as unknown[] | null;
      expect(stored ?? []).toEqual([]);
      expect(existsSync(hostsFile())).toBe(false);
      expect(existsSync(flagsFile())).toBe(false);
    });
  });
}
