// MapFile through real Pulumi programs against a real HAProxy and DPAPI, for
// both API generations: upload and path, live entry changes through the
// runtime API (no reload) that route real requests, file replacement when
// HAProxy has not loaded the map, drift on refresh, check failures that send
// nothing, a clear error when haproxy.cfg still uses the map, and clean-up.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startBench, type Bench } from "../bench/bench";
import { programStack, type Declared, type ProgramStack } from "../support/pulumi";
import { startUpstream, type Upstream } from "../support/upstreams";
import { accessLogLines, configVersion, rawGet, reloadCount } from "../support/dpapi";
import { GENERATIONS, describeWith } from "../support/requires";
import {
  addToMainFrontend, editConfig, getWithHost, removeLines, stateOutputs, waitForMapLoaded, writeRequests,
} from "../support/haproxy-files";

for (const gen of GENERATIONS) {
  describeWith([gen, "pulumi"], `MapFile on DPAPI ${gen}`, () => {
    let bench: Bench; let ps: ProgramStack; let blue: Upstream; let green: Upstream;
    const hostsFile = () => join(bench.haproxy.mapsDir, "hosts.map");
    const flagsFile = () => join(bench.haproxy.mapsDir, "flags.map");
    let hostsRule: string;

    const upstreamsDeclared = (): Declared[] => [
      { type: "Backend", name: "blue", args: { mode: "http" } },
      { type: "Server", name: "blue-1", args: { backend: { $ref: "blue.name" }, address: "127.0.0.1", port: blue.port } },
      { type: "Backend", name: "green", args: { mode: "http" } },
      { type: "Server", name: "green-1", args: { backend: { $ref: "green.name" }, address: "127.0.0.1", port: green.port } },
    ];
    const hosts = (entries: unknown): Declared => ({ type: "MapFile", name: "hosts", args: { name: "hosts.map", entries } });
    const flags = (entries: unknown): Declared => ({ type: "MapFile", name: "flags", args: { name: "flags.map", entries } });
    let current: Declared[] = [];
    const declare = async (resources: Declared[]) => { current = resources; await ps.declare(resources); };

    beforeAll(async () => {
      bench = await startBench({ dataplane: gen });
      blue = await startUpstream("blue");
      green = await startUpstream("green");
      ps = await programStack(bench);
    });
    afterAll(async () => {
      await ps?.dispose();
      await bench?.stop();
      await blue?.close();
      await green?.close();
    });

    test("create uploads the map to DPAPI storage and outputs the absolute path haproxy.cfg references", async () => {
      await declare([
        ...upstreamsDeclared(),
        hosts({ "www.test": "green", "app.test": "blue" }),
        flags([{ key: "/beta/", value: "on" }, { key: "/", value: "off" }]),
      ]);
      const up = await ps.stack.up();
      expect(up.summary.result).toBe("succeeded");
      const out = await stateOutputs(ps, "MapFile", "hosts");
      expect(out?.path).toBe(hostsFile());
      // Object form: keys sorted; array form: declared order.
      expect(readFileSync(hostsFile(), "utf8")).toBe("app.test blue\nwww.test green\n");
      expect(readFileSync(flagsFile(), "utf8")).toBe("/beta/ on\n/ off\n");
      const stored = (await rawGet(bench, "/services/haproxy/storage/maps")) as Array<{ storage_name: string }>;
      expect(stored.map((m) => m.storage_name).sort()).toEqual(["flags.map", "hosts.map"]);

      // haproxy.cfg starts using the map (as a Frontend resource would); HAProxy loads it on reload.
      hostsRule = `use_backend %[req.hdr(host),lower,map(${out?.path},be_default)]`;
      await editConfig(bench, addToMainFrontend(hostsRule));
      await waitForMapLoaded(bench, "hosts.map");
      expect(await getWithHost(bench, "app.test")).toBe("blue");
      expect(await getWithHost(bench, "www.test")).toBe("green");
    });

    test("changing entries of a loaded map goes through the runtime API: live at once, no reload, file kept in sync", async () => {
      const reloads = await reloadCount(bench);
      const version = await configVersion(bench);
      const logBefore = accessLogLines(bench).length;
      await declare([...upstreamsDeclared(), hosts({ "app.test": "green", "new.test": "blue" }), current[5]]);
      const up = await ps.stack.up();
      expect(up.summary.resourceChanges).toMatchObject({ update: 1 });

      expect(await getWithHost(bench, "app.test")).toBe("green");
      expect(await getWithHost(bench, "new.test")).toBe("blue");
      expect(await getWithHost(bench, "www.test")).toBe("HTTP 404");
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
      await declare([...current.slice(0, 5), flags([{ key: "/beta/", value: "off" }, { key: "/gamma/", value: "on" }, { key: "/", value: "off" }])]);
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
      expect(await getWithHost(bench, "app.test")).toBe("blue");

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
      expect(await getWithHost(bench, "app.test")).toBe("green");
      expect(readFileSync(flagsFile(), "utf8")).toBe("/beta/ off\n/gamma/ on\n/ off\n");
      expect(await reloadCount(bench)).toBe(reloads);
      const again = await ps.stack.preview();
      expect(again.changeSummary).not.toHaveProperty("update");
    });

    test("an ordered map HAProxy has loaded keeps the declared order: appends at runtime, a reorder reloads", async () => {
      const flagsRule = `http-request set-header x-flag %[path,map_sub(${flagsFile()},none)]`;
      await editConfig(bench, addToMainFrontend(flagsRule));
      await waitForMapLoaded(bench, "flags.map");
      const liveOrder = async () => (await bench.runtime(`show map ${flagsFile()}`)).trim().split("\n").map((l) => l.split(" ").slice(1).join(" "));
      expect(await liveOrder()).toEqual(["/beta/ off", "/gamma/ on", "/ off"]);

      const reloads = await reloadCount(bench);
      const appended = [{ key: "/beta/", value: "on" }, { key: "/gamma/", value: "on" }, { key: "/", value: "off" }, { key: "/new/", value: "on" }];
      await declare([...current.slice(0, 5), flags(appended)]);
      await ps.stack.up();
      expect(await liveOrder()).toEqual(["/beta/ on", "/gamma/ on", "/ off", "/new/ on"]);
      expect(await reloadCount(bench)).toBe(reloads);

      // HAProxy cannot move entries at runtime: the file is replaced and HAProxy reloads to take the new order.
      const reordered = [{ key: "/new/", value: "on" }, { key: "/beta/", value: "on" }, { key: "/gamma/", value: "on" }, { key: "/", value: "off" }];
      await declare([...current.slice(0, 5), flags(reordered)]);
      await ps.stack.up();
      expect(await reloadCount(bench)).toBe(reloads + 1);
      expect(readFileSync(flagsFile(), "utf8")).toBe("/new/ on\n/beta/ on\n/gamma/ on\n/ off\n");
      expect(await liveOrder()).toEqual(["/new/ on", "/beta/ on", "/gamma/ on", "/ off"]);
      expect((await ps.stack.preview()).changeSummary).not.toHaveProperty("update");
      await editConfig(bench, removeLines(flagsRule));
    });

    test("many changes to a large loaded map replace all its entries at once, still without a reload", async () => {
      const bigFile = join(bench.haproxy.mapsDir, "big.map");
      const table = (v: (i: number) => string) =>
        Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`tenant${String(i).padStart(4, "0")}.test`, v(i)]));
      const big = (entries: Record<string, string>): Declared => ({ type: "MapFile", name: "big", args: { name: "big.map", entries } });
      await declare([...current.slice(0, 6), big(table((i) => (i % 2 ? "blue" : "green")))]);
      await ps.stack.up();
      const bigRule = `http-request set-header x-tenant %[req.hdr(host),map(${bigFile},none)]`;
      await editConfig(bench, addToMainFrontend(bigRule));
      await waitForMapLoaded(bench, "big.map");

      const reloads = await reloadCount(bench);
      const logBefore = accessLogLines(bench).length;
      const flipped = table((i) => (i % 2 ? "green" : "blue"));
      await declare([...current.slice(0, 6), big(flipped)]);
      await ps.stack.up();
      expect(await reloadCount(bench)).toBe(reloads);
      const live = (await bench.runtime(`show map ${bigFile}`)).trim().split("\n").map((l) => l.split(" ").slice(1));
      expect(Object.fromEntries(live)).toEqual(flipped);
      expect(live.length).toBe(1000);
      // One payload request (DPAPI's prepare/add/commit map) instead of 1000 entry requests.
      const writes = writeRequests(accessLogLines(bench).slice(logBefore));
      expect(writes.filter((l) => l.includes(`PUT /${gen}/services/haproxy/runtime/maps/big.map?`) || l.includes(`PUT /${gen}/services/haproxy/runtime/maps/big.map `)).length).toBe(1);
      expect(writes.filter((l) => /maps_entries|\/entries/.test(l)).length).toBe(0);
      expect(readFileSync(bigFile, "utf8")).toBe(Object.entries(flipped).map(([k, v]) => `${k} ${v}\n`).join(""));

      await editConfig(bench, removeLines(bigRule));
      await declare(current.slice(0, 6));
      await ps.stack.up();
      expect(existsSync(bigFile)).toBe(false);
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
      await ps.declare([...current, { type: "MapFile", name: "bad", args }]);
      await expect(ps.stack.up()).rejects.toThrow(message);
      expect(await configVersion(bench)).toBe(version);
      expect(writeRequests(accessLogLines(bench)).length).toBe(writesBefore);
      await ps.declare(current);
    });

    test("deleting a map haproxy.cfg still uses fails with an error naming the reference", async () => {
      await declare(current.filter((r) => r.name !== "hosts"));
      const err = await ps.stack.up().then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(/MapFile "hosts\.map" cannot be deleted while haproxy\.cfg uses it/);
      expect(err?.message).toContain(hostsRule);
      expect(err?.message).toMatch(/line \d+/);
      expect(existsSync(hostsFile())).toBe(true);
      expect(await getWithHost(bench, "app.test")).toBe("green");
    });

    test("destroy removes the maps once nothing references them", async () => {
      await editConfig(bench, removeLines(hostsRule));
      await ps.stack.destroy();
      const stored = (await rawGet(bench, "/services/haproxy/storage/maps")) as unknown[] | null;
      expect(stored ?? []).toEqual([]);
      expect(existsSync(hostsFile())).toBe(false);
      expect(existsSync(flagsFile())).toBe(false);
    });
  });
}
