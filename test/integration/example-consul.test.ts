// examples/consul, run as a user runs it (its own folder, the packed package,
// stack config), against a real Consul, HAProxy and DPAPI: a host name reaches
// the backend DPAPI fills from the Consul catalog, and scaling the service in
// Consul reaches HAProxy with no `pulumi up`.
import { rmSync } from "node:fs";
import Consul from "consul";
import type { Stack } from "@pulumi/pulumi/automation";
import { startBench, freePort, sleep, type Bench } from "../bench/bench";
import { exampleStack } from "../support/pulumi";
import { getOnPort, startUpstream, type Upstream } from "../support/upstreams";
import { describeWith } from "../support/requires";

describeWith(["v3", "consul", "pulumi"], "examples/consul", () => {
  let bench: Bench; let consul: Consul; let dir: string; let stack: Stack;
  const ups: Upstream[] = [];
  let port: number;
  /** One request to the example's own Frontend with this Host. */
  const getWithHost = (_bench: Bench, host: string) => getOnPort(port, host);

  /** Which upstreams answer `web.example.com` through HAProxy, polled until it is exactly `names`. */
  const answeredBy = async (names: string[]) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const seen = new Set<string>();
      for (let i = 0; i < names.length * 3; i++) seen.add(await getWithHost(bench, "web.example.com"));
      if ([...seen].sort().join() === [...names].sort().join() || Date.now() > deadline) return [...seen].sort();
      await sleep(200);
    }
  };

  beforeAll(async () => {
    bench = await startBench({ dataplane: "v3", consul: true });
    consul = new Consul({ host: "127.0.0.1", port: bench.consul!.port });
    for (const name of ["web-1", "web-2", "web-3"]) ups.push(await startUpstream(name));
    for (const u of ups.slice(0, 2)) await consul.agent.service.register({ name: "web", id: u.name, address: "127.0.0.1", port: u.port });
    port = await freePort();
    ({ stack, dir } = await exampleStack("consul", bench, { "consul:consulPort": { value: String(bench.consul!.port) },
      "consul:port": { value: String(port) }, "consul:listenAddress": { value: "127.0.0.1" } }));
  });
  afterAll(async () => {
    consul?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await bench?.stop();
    for (const u of ups) await u.close();
  });

  test("up: DPAPI follows the service, the map and the Frontend route web.example.com to its backend", async () => {
    const up = await stack.up();
    expect(up.summary.result).toBe("succeeded");
    expect(up.outputs.backendName.value).toBe(`consul-backend-127.0.0.1-${bench.consul!.port}-web`);
    expect(up.outputs.watcher.value).toBe("running");
    expect(await answeredBy(["web-1", "web-2"])).toEqual(["web-1", "web-2"]);
  });

  test("scaling in Consul reaches HAProxy without `pulumi up`; a refresh finds nothing to change", async () => {
    await consul.agent.service.register({ name: "web", id: "web-3", address: "127.0.0.1", port: ups[2].port });
    expect(await answeredBy(["web-1", "web-2", "web-3"])).toEqual(["web-1", "web-2", "web-3"]);
    await consul.agent.service.deregister("web-1");
    expect(await answeredBy(["web-2", "web-3"])).toEqual(["web-2", "web-3"]);
    await stack.refresh({ expectNoChanges: true });
  });

  test("destroy removes the frontend, the map and the watcher", async () => {
    await stack.destroy();
    expect(await getWithHost(bench, "web.example.com")).toMatch(/^error /);
  });
});
