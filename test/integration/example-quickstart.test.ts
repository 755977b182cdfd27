// examples/quickstart (the root Pulumi.yaml's program), run as a user runs a
// TypeScript program in a folder, through the built Node language host.
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { startBench, type Bench } from "../bench/bench";
import { pulumiEnv } from "../support/pulumi";
import { startUpstream, sendThrough, type Upstream } from "../support/upstreams";
import { describeWith } from "../support/requires";

const repoRoot = resolve(__dirname, "..", "..");

describeWith(["v3", "pulumi"], "examples/quickstart", () => {
  let bench: Bench; let ups: Upstream[]; let dir: string;
  beforeAll(async () => {
    bench = await startBench({ dataplane: "v3" });
    ups = [await startUpstream("demo-1"), await startUpstream("demo-2")];
    dir = mkdtempSync(join(tmpdir(), "example-quickstart-"));
    cpSync(join(repoRoot, "examples", "quickstart"), dir, { recursive: true });
    symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: quickstart\nruntime: nodejs\n");
    mkdirSync(join(dir, "state"));
  });
  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await bench?.stop();
    for (const u of ups ?? []) await u.close();
  });

  test("pulumi up of the TypeScript program sends traffic through HAProxy to both servers; destroy removes them", async () => {
    const env = pulumiEnv(dir);
    process.env.PATH = env.PATH;
    const stack = await LocalWorkspace.createOrSelectStack({ stackName: "local", workDir: dir }, { envVars: env });
    const dp = bench.dataplane!;
    await stack.setAllConfig({
      "haproxy-dataplane:url": { value: dp.url },
      "haproxy-dataplane:username": { value: dp.username },
      "haproxy-dataplane:password": { value: dp.password, secret: true },
    });
    await stack.setConfig("upstreamPorts", { value: JSON.stringify(ups.map((u) => u.port)) });
    const up = await stack.up();
    expect(up.outputs.backend.value).toBe("app");
    expect(await sendThrough(bench, "app", 4)).toEqual({ "demo-1": 2, "demo-2": 2 });
    await stack.destroy();
    expect(await sendThrough(bench, "app", 1)).toEqual({ "HTTP 404": 1 });
  });
});
