// examples/quickstart (the root Pulumi.yaml's program), run as a user runs a
// TypeScript program in a folder, through the built Node language host.
import type { Stack } from "@pulumi/pulumi/automation";
import { startBench, freePort, type Bench } from "../bench/bench";
import { exampleStack } from "../support/pulumi";
import { startUpstream, type Upstream } from "../support/upstreams";
import { haproxyCfg } from "../support/dpapi";
import { describeWith } from "../support/requires";

describeWith(["v3", "pulumi"], "examples/quickstart", () => {
  let bench: Bench; let ups: Upstream[]; let stack: Stack; let dispose: () => void; let port: number;
  const curl = async () => (await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: "close" } })).text();
  beforeAll(async () => {
    bench = await startBench({ dataplane: "v3" });
    ups = [await startUpstream("demo-1"), await startUpstream("demo-2")];
    port = await freePort();
    ({ stack, dispose } = await exampleStack("quickstart", bench, {
      "quickstart:upstreamPorts": { value: JSON.stringify(ups.map((u) => u.port)) },
      "quickstart:frontendPort": { value: String(port) },
    }, "local"));
  });
  afterAll(async () => {
    dispose?.();
    await bench?.stop();
    for (const u of ups ?? []) await u.close();
  });

  test("pulumi up of the TypeScript program serves plain requests on its Frontend, alternating between both servers; destroy removes it", async () => {
    const up = await stack.up();
    expect(up.outputs.backend.value).toBe("app");
    expect(await bench.runtime("show backend")).toMatch(/^app$/m);
    const seen = [await curl(), await curl(), await curl(), await curl()];
    expect(seen.sort()).toEqual(["demo-1", "demo-1", "demo-2", "demo-2"]);
    await stack.destroy();
    await expect(curl()).rejects.toThrow();
    // The backend is gone too: from haproxy.cfg and from what HAProxy runs.
    expect(haproxyCfg(bench)).not.toMatch(/^backend app\b/m);
    expect(await bench.runtime("show backend")).not.toMatch(/^app$/m);
  });
});
