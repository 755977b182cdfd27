// examples/canary, run as a user runs it (its own folder, the packed package,
// `pulumi config set canaryWeight …` one step per merge), against a real HAProxy
// and DPAPI: each step previews as the two weights alone, applies with no
// reload, and the observed share of 3,000 requests is the declared one (±3).
import { rmSync } from "node:fs";
import type { Stack } from "@pulumi/pulumi/automation";
import { startBench, freePort, type Bench } from "../bench/bench";
import { exampleStack } from "../support/pulumi";
import { startUpstream, tally, type Upstream } from "../support/upstreams";
import { haproxyCfg, reloadCount } from "../support/dpapi";
import { describeWith } from "../support/requires";

describeWith(["v3", "pulumi"], "examples/canary", () => {
  let bench: Bench; let stable: Upstream; let canary: Upstream; let dir: string; let stack: Stack; let port: number;

  /** The canary's share of 3,000 requests to app.example.com, in percent; every request must be answered. */
  async function canaryShare(): Promise<number> {
    const seen = await tally(port, "app.example.com", 3000);
    expect((seen.stable ?? 0) + (seen.canary ?? 0)).toBe(3000);
    return (100 * (seen.canary ?? 0)) / 3000;
  }

  beforeAll(async () => {
    bench = await startBench({ dataplane: "v3" });
    stable = await startUpstream("stable");
    canary = await startUpstream("canary");
    port = await freePort();
    ({ stack, dir } = await exampleStack("canary", bench, {
      "canary:port": { value: String(port) },
      "canary:listenAddress": { value: "127.0.0.1" },
      "canary:stableAddresses": { value: `127.0.0.1:${stable.port}` },
      "canary:canaryAddresses": { value: `127.0.0.1:${canary.port}` },
    }));
  });
  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await bench?.stop();
    await stable?.close();
    await canary?.close();
  });

  test("up at canaryWeight 0: every request goes to stable", async () => {
    expect((await stack.up()).summary.result).toBe("succeeded");
    expect(await tally(port, "app.example.com", 300)).toEqual({ stable: 300 });
  });

  test("steps 10 → 50 → 100: each previews as the two weights, reloads nothing, and the split is observed", async () => {
    let from = 0;
    for (const to of [10, 50, 100]) {
      await stack.setConfig("canaryWeight", { value: String(to) });
      const preview = await stack.preview({ diff: true });
      expect(preview.changeSummary).toEqual({ same: 3, update: 1 });
      expect(preview.stdout).toMatch(new RegExp(`weight\\s*:\\s*${100 - from}\\s*=>\\s*${100 - to}`));
      expect(preview.stdout).toMatch(new RegExp(`weight\\s*:\\s*${from}\\s*=>\\s*${to}`));
      if (to === 10) console.log(`pulumi preview --diff (canaryWeight 0 → 10), as of ${new Date().toISOString()}:\n${preview.stdout}`);
      const reloads = await reloadCount(bench);
      const cfg = haproxyCfg(bench);
      expect((await stack.up()).summary.resourceChanges).toEqual({ same: 3, update: 1 });
      expect(await reloadCount(bench)).toBe(reloads);
      expect(haproxyCfg(bench)).toBe(cfg);
      if (to === 100) expect(await tally(port, "app.example.com", 300)).toEqual({ canary: 300 });
      else expect(Math.abs((await canaryShare()) - to)).toBeLessThanOrEqual(3);
      from = to;
    }
  });

  test("rollback to 0 in one step, then destroy", async () => {
    await stack.setConfig("canaryWeight", { value: "0" });
    await stack.up();
    expect(await tally(port, "app.example.com", 300)).toEqual({ stable: 300 });
    await stack.destroy();
    expect(haproxyCfg(bench)).not.toMatch(/^frontend web\b/m);
  });
});
