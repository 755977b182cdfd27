// examples/quickstart (the root Pulumi.yaml's program), run as a user runs a
// TypeScript program in a folder, through the built Node language host.
import type { Stack } from "@pulumi/pulumi/automation";
import { startBench, type Bench } from "../bench/bench";
import { exampleStack } from "../support/pulumi";
import { startUpstream, sendThrough, type Upstream } from "../support/upstreams";
import { describeWith } from "../support/requires";

describeWith(["v3", "pulumi"], "examples/quickstart", () => {
  let bench: Bench; let ups: Upstream[]; let stack: Stack; let dispose: () => void;
  beforeAll(async () => {
    bench = await startBench({ dataplane: "v3" });
    ups = [await startUpstream("demo-1"), await startUpstream("demo-2")];
    ({ stack, dispose } = await exampleStack("quickstart", bench, {
      "quickstart:upstreamPorts": { value: JSON.stringify(ups.map((u) => u.port)) },
    }, "local"));
  });
  afterAll(async () => {
    dispose?.();
    await bench?.stop();
    for (const u of ups ?? []) await u.close();
  });

  test("pulumi up of the TypeScript program sends traffic through HAProxy to both servers; destroy removes them", async () => {
    const up = await stack.up();
    expect(up.outputs.backend.value).toBe("app");
    expect(await sendThrough(bench, "app", 4)).toEqual({ "demo-1": 2, "demo-2": 2 });
    await stack.destroy();
    expect(await sendThrough(bench, "app", 1)).toEqual({ "HTTP 404": 1 });
  });
});
