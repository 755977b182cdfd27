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

  test("a new release of the provider code previews and applies as no change", async () => {
    await ps.declare([
      { type: "Backend", name: "api", args: { balance: { algorithm: "roundrobin" } } },
      { type: "Server", name: "api-1", args: { backend: { $ref: "api.name" }, address: "127.0.0.1", port: 8080 } },
    ]);
    await ps.stack.up();

    // The "new release": the serialized provider's text differs from the one in state.
    const providerJs = join(ps.dir, "node_modules", "pulumi-haproxy-dataplane", "bin", "sdk", "provider.js");
    const code = readFileSync(providerJs, "utf8");
    writeFileSync(providerJs, code.replace("async diff(id, olds, news) {", "async diff(id, olds, news) { /* release 0.1.1 */"));
    expect(readFileSync(providerJs, "utf8")).not.toBe(code);

    const version = await configVersion(bench);
    const preview = await ps.stack.preview({ diff: true });
    expect(preview.changeSummary).toEqual({ same: 3 });
    expect(preview.stdout).not.toMatch(/__provider/);
    const up = await ps.stack.up();
    expect(up.summary.resourceChanges).toEqual({ same: 3 });
    expect(await configVersion(bench)).toBe(version);

    // The new release's code was serialized (Pulumi records a "same" resource's new inputs), with no update and no write.
    expect(ps.storedState()).toContain("release 0.1.1");
    await ps.stack.destroy();
  });
});
