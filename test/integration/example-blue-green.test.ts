// examples/blue-green, run as a user runs it (its own folder, the packed
// package, `pulumi config set live green`), against a real HAProxy and DPAPI:
// live traffic moves from blue to green by one map entry, without a reload,
// and the preview a reviewer sees names only that entry.
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { startBench, type Bench } from "../bench/bench";
import { pulumiEnv } from "../support/pulumi";
import { startUpstream, type Upstream } from "../support/upstreams";
import { reloadCount } from "../support/dpapi";
import { describeWith } from "../support/requires";
import { addToMainFrontend, editConfig, getWithHost, removeLines } from "../support/haproxy-files";

const repoRoot = resolve(__dirname, "..", "..");

describeWith(["v3", "pulumi"], "examples/blue-green", () => {
  let bench: Bench; let blue: Upstream; let green: Upstream; let dir: string; let stack: Stack;

  beforeAll(async () => {
    bench = await startBench({ dataplane: "v3" });
    blue = await startUpstream("blue");
    green = await startUpstream("green");
    dir = mkdtempSync(join(tmpdir(), "example-blue-green-"));
    cpSync(join(repoRoot, "examples", "blue-green"), dir, { recursive: true });
    // What `npm install` of the packed package gives: the repo's node_modules holds it.
    symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
    const env = pulumiEnv(dir);
    mkdirSync(join(dir, "state"));
    Object.assign(process.env, { PATH: env.PATH });
    stack = await LocalWorkspace.createOrSelectStack({ stackName: "dev", workDir: dir }, { envVars: env });
    const dp = bench.dataplane!;
    await stack.setAllConfig({
      "haproxy-dataplane:url": { value: dp.url },
      "haproxy-dataplane:username": { value: dp.username },
      "haproxy-dataplane:password": { value: dp.password, secret: true },
      "blue-green:blueAddress": { value: `127.0.0.1:${blue.port}` },
      "blue-green:greenAddress": { value: `127.0.0.1:${green.port}` },
    });
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
