// Upgrading this package changes the provider code Pulumi serializes into
// every resource (`__provider`). That must not show every resource as changed.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startBench, type Bench } from "../bench/bench";
import { programStack, type ProgramStack } from "../support/pulumi";
import { configVersion } from "../support/dpapi";
import { describeWith } from "../support/requires";

describeWith(["v3", "pulumi"], "package upgrade", () => {
  let bench: Bench; let ps: ProgramStack;
  beforeAll(async () => {
    bench = await startBench({ dataplane: "v3" });
    ps = await programStack(bench, { ownPackageCopy: true });
  });
  afterAll(async () => { await ps?.dispose(); await bench?.stop(); });

  test("a new release previews and applies as no change, also from a state that holds the provider's code", async () => {
    // The "old release": releases before 0.2 stored a copy of the provider's code in every resource's `__provider`
    // (a plain object is serialized by value); this one stores a `require` of the package by name.
    const providerJs = join(ps.dir, "node_modules", "pulumi-haproxy-dataplane", "bin", "sdk", "provider.js");
    const code = readFileSync(providerJs, "utf8");
    const byReference = "return require(`../provider/dynamic/${kind}`);";
    expect(code).toContain(byReference);
    writeFileSync(providerJs, code.replace(byReference, "return { ...require(`../provider/dynamic/${kind}`) };"));

    await ps.declare([
      { type: "Backend", name: "api", args: { balance: { algorithm: "roundrobin" } } },
      { type: "Server", name: "api-1", args: { backend: { $ref: "api.name" }, address: "127.0.0.1", port: 8080 } },
    ]);
    await ps.stack.up();
    expect(ps.storedState()).toContain("resourceModule");
    expect(ps.storedState()).not.toContain("require(\\\"pulumi-haproxy-dataplane/provider/dynamic/server\\\")");

    // The new release: the serialized provider's text differs from the one in state.
    writeFileSync(providerJs, code);
    const version = await configVersion(bench);
    const preview = await ps.stack.preview({ diff: true });
    expect(preview.changeSummary).toEqual({ same: 3 });
    expect(preview.stdout).not.toMatch(/__provider/);
    const up = await ps.stack.up();
    expect(up.summary.resourceChanges).toEqual({ same: 3 });
    expect(await configVersion(bench)).toBe(version);

    // Pulumi records a "same" resource's new inputs: the reference, with no update and no write.
    expect(ps.storedState()).toContain("require(\\\"pulumi-haproxy-dataplane/provider/dynamic/server\\\")");
    await ps.stack.destroy();
  });

  test("a resource's `__provider` in state is a reference to the package, not its code", async () => {
    await ps.declare([{ type: "Backend", name: "small", args: { balance: { algorithm: "roundrobin" } } }]);
    await ps.stack.up();
    const state = await ps.stack.exportStack();
    const backend = (state.deployment.resources as Array<{ type: string; inputs: Record<string, string> }>).find((r) => r.type.endsWith(":Backend"))!;
    // The engine writes the whole state after every step: a copy of the code in each of 200 resources was 1.5 MB.
    expect(backend.inputs.__provider).toContain('require("pulumi-haproxy-dataplane/provider/dynamic/backend")');
    expect(backend.inputs.__provider.length).toBeLessThan(400);
    await ps.stack.destroy();
  });
});
