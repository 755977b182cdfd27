// examples/blue-green, run as a user runs it (its own folder, the packed
// package, `pulumi config set live green`), against a real HAProxy and DPAPI:
// live traffic moves from blue to green by one map entry, without a reload,
// and the preview a reviewer sees names only that entry.
import { rmSync } from "node:fs";
import type { Stack } from "@pulumi/pulumi/automation";
import { startBench, freePort, type Bench } from "../bench/bench";
import { exampleStack } from "../support/pulumi";
import { getOnPort, startUpstream, type Upstream } from "../support/upstreams";
import { reloadCount } from "../support/dpapi";
import { describeWith } from "../support/requires";


describeWith(["v3", "pulumi"], "examples/blue-green", () => {
  let bench: Bench; let blue: Upstream; let green: Upstream; let dir: string; let stack: Stack; let port: number;
  /** One request to the example's own Frontend with this Host. */
  const getWithHost = (_bench: Bench, host: string) => getOnPort(port, host);

  beforeAll(async () => {
    bench = await startBench({ dataplane: "v3" });
    blue = await startUpstream("blue");
    green = await startUpstream("green");
    port = await freePort();
    ({ stack, dir } = await exampleStack("blue-green", bench, {
      "blue-green:port": { value: String(port) },
      "blue-green:listenAddress": { value: "127.0.0.1" },
      "blue-green:blueAddress": { value: `127.0.0.1:${blue.port}` },
      "blue-green:greenAddress": { value: `127.0.0.1:${green.port}` },
    }));
  });
  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await bench?.stop();
    await blue?.close();
    await green?.close();
  });

  test("up creates both colors, the map and the Frontend that routes by it: blue serves, unknown hosts get 503", async () => {
    const up = await stack.up();
    expect(up.summary.result).toBe("succeeded");
    expect(await getWithHost(bench, "app.example.com")).toBe("blue");
    expect(await getWithHost(bench, "other.example.com")).toBe("HTTP 503");
  });

  test("`pulumi config set live green`: the preview shows one entry changing, up switches traffic with no reload", async () => {
    await stack.setConfig("live", { value: "green" });
    const preview = await stack.preview({ diff: true });
    expect(preview.changeSummary).toEqual({ same: 7, update: 1 });
    expect(preview.stdout).toMatch(/~ pulumi-nodejs:dynamic\/haproxy:MapFile: \(update\)/);
    expect(preview.stdout).toMatch(/~ app\.example\.com: "app_blue" => "app_green"/);
    console.log(`pulumi preview --diff, as of ${new Date().toISOString()}:\n${preview.stdout}`);

    const reloads = await reloadCount(bench);
    const up = await stack.up();
    expect(up.summary.resourceChanges).toEqual({ same: 7, update: 1 });
    expect(await getWithHost(bench, "app.example.com")).toBe("green");
    expect(await reloadCount(bench)).toBe(reloads);

    await stack.setConfig("live", { value: "blue" });
    await stack.up();
    expect(await getWithHost(bench, "app.example.com")).toBe("blue");
    expect(await reloadCount(bench)).toBe(reloads);
  });

  test("destroy removes the frontend before the map, and everything else", async () => {
    await stack.destroy();
    expect(await getWithHost(bench, "app.example.com")).toMatch(/^error /);
  });
});
