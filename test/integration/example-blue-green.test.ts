// examples/blue-green, run as a user runs it (its own folder, the packed
// package, `pulumi config set live green`), against a real HAProxy and DPAPI:
// live traffic moves from blue to green by one map entry, without a reload,
// and the preview a reviewer sees names only that entry.
import { rmSync } from "node:fs";
import type { Stack } from "@pulumi/pulumi/automation";
import { startBench, type Bench } from "../bench/bench";
import { exampleStack } from "../support/pulumi";
import { startUpstream, type Upstream } from "../support/upstreams";
import { reloadCount } from "../support/dpapi";
import { describeWith } from "../support/requires";
import { addToMainFrontend, editConfig, getWithHost, removeLines } from "../support/haproxy-files";

describeWith(["v3", "pulumi"], "examples/blue-green", () => {
  let bench: Bench; let blue: Upstream; let green: Upstream; let dir: string; let stack: Stack;

  beforeAll(async () => {
    bench = await startBench({ dataplane: "v3" });
    blue = await startUpstream("blue");
    green = await startUpstream("green");
    ({ stack, dir } = await exampleStack("blue-green", bench, {
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

  let line: string;

  test("up creates both colors and the map; blue serves once haproxy.cfg uses the map", async () => {
    const up = await stack.up();
    expect(up.summary.result).toBe("succeeded");
    line = String(up.outputs.frontendLine.value);
    expect(line).toBe(`use_backend %[req.hdr(host),lower,map(${bench.haproxy.mapsDir}/routes.map,be_default)]`);
    await editConfig(bench, addToMainFrontend(line));
    expect(await getWithHost(bench, "app.example.com")).toBe("blue");
  });

  test("`pulumi config set live green`: the preview shows one entry changing, up switches traffic with no reload", async () => {
    await stack.setConfig("live", { value: "green" });
    const preview = await stack.preview({ diff: true });
    expect(preview.changeSummary).toEqual({ same: 5, update: 1 });
    expect(preview.stdout).toMatch(/~ pulumi-nodejs:dynamic\/haproxy:MapFile: \(update\)/);
    expect(preview.stdout).toMatch(/~ app\.example\.com: "app_blue" => "app_green"/);
    console.log(`pulumi preview --diff, as of ${new Date().toISOString()}:\n${preview.stdout}`);

    const reloads = await reloadCount(bench);
    const up = await stack.up();
    expect(up.summary.resourceChanges).toEqual({ same: 5, update: 1 });
    expect(await getWithHost(bench, "app.example.com")).toBe("green");
    expect(await reloadCount(bench)).toBe(reloads);

    await stack.setConfig("live", { value: "blue" });
    await stack.up();
    expect(await getWithHost(bench, "app.example.com")).toBe("blue");
    expect(await reloadCount(bench)).toBe(reloads);
  });

  test("destroy removes everything once haproxy.cfg no longer uses the map", async () => {
    await editConfig(bench, removeLines(line));
    await stack.destroy();
    expect(await getWithHost(bench, "app.example.com")).toBe("HTTP 404");
  });
});
