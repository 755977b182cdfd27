// examples/fleet as a user runs it: three nodes (three HAProxy + Data Plane API
// pairs), each with its own password as a stack secret, rolled out one after
// the other behind each node's health check; every node then serves the app
// through its own frontend, and destroy removes it all.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { startBench, freePort, type Bench } from "../bench/bench";
import { exampleStack } from "../support/pulumi";
import { startUpstream, getOnPort, type Upstream } from "../support/upstreams";
import { haproxyCfg, openTransactions } from "../support/dpapi";
import { describeWith } from "../support/requires";

const NAMES = ["lb1", "lb2", "lb3"];

/** The text of every file under `dir` but node_modules. */
function textUnder(dir: string): string {
  return readdirSync(dir).filter((e) => e !== "node_modules").map((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? textUnder(p) : readFileSync(p, "latin1");
  }).join("\n");
}

describeWith(["v3", "pulumi"], "examples/fleet", () => {
  const benches: Bench[] = [];
  let app: Upstream; let ports: number[]; let stack: Stack; let dir: string; let dispose: () => void;

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) benches.push(await startBench({ dataplane: "v3" }));
    app = await startUpstream("app");
    ports = [await freePort(), await freePort(), await freePort()];
    ({ stack, dir, dispose } = await exampleStack("fleet", benches[0], {
      // Three nodes on one machine: each listens on its own port, and its health check goes to that port.
      "fleet:nodes": { value: JSON.stringify(NAMES.map((name, i) => ({
        name, url: benches[i].dataplane!.url, listenPort: ports[i], healthCheckUrl: `http://127.0.0.1:${ports[i]}/healthz`,
      }))) },
      ...Object.fromEntries(NAMES.map((name, i) => [`fleet:${name}Password`, { value: benches[i].dataplane!.password, secret: true }])),
      "fleet:appServers": { value: JSON.stringify([`127.0.0.1:${app.port}`]) },
      "fleet:listenAddress": { value: "127.0.0.1" },
      "fleet:healthCheckTimeoutSeconds": { value: "10" },
    }));
  });
  afterAll(async () => {
    await stack?.destroy().catch(() => undefined);
    dispose?.();
    for (const b of benches) await b.stop();
    await app?.close();
  });

  test("up rolls the app out to the three nodes, each serving it through its own frontend; destroy removes it", async () => {
    const up = await stack.up();
    expect(up.summary.resourceChanges).toEqual({ create: 14 });
    expect(up.outputs.rolloutOrder.value).toEqual(NAMES);
    // The gates ran in order, after each node's changes.
    const order = [...up.stdout.matchAll(/HealthGate (lb\d)-health created/g)].map((m) => m[1]);
    expect(order).toEqual(NAMES);
    expect(await Promise.all(ports.map((p) => getOnPort(p, "www.example.com", "/healthz")))).toEqual(["app", "app", "app"]);
    // No node's password in plain text in the project's files (stack config, state, backups).
    const files = textUnder(dir);
    for (const b of benches) expect(files).not.toContain(b.dataplane!.password);
    expect((await stack.preview()).changeSummary).toEqual({ same: 14 });

    await stack.destroy();
    for (const b of benches) {
      expect(haproxyCfg(b)).not.toMatch(/^(backend app|frontend www)$/m);
      expect(await openTransactions(b)).toEqual([]);
    }
  });
});
