import { startBench, type Bench } from "../bench/bench";
import { programStack, type ProgramStack } from "../support/pulumi";
import { startUpstream, sendThrough, type Upstream } from "../support/upstreams";
import { haproxyCfg } from "../support/dpapi";

let bench: Bench; let ps: ProgramStack; let ups: Upstream[];
beforeAll(async () => {
  bench = await startBench({ dataplane: "v3" });
  ups = [await startUpstream("one"), await startUpstream("two")];
  ps = await programStack(bench);
});
afterAll(async () => { await ps?.dispose(); await bench?.stop(); for (const u of ups ?? []) await u.close(); });

test("smoke", async () => {
  await ps.declare([
    { type: "Backend", name: "api", args: { mode: "http", balance: { algorithm: "roundrobin" } } },
    { type: "Server", name: "api-1", args: { backend: { $ref: "api.name" }, address: "127.0.0.1", port: ups[0].port, weight: 100 } },
    { type: "Server", name: "api-2", args: { backend: { $ref: "api.name" }, address: "127.0.0.1", port: ups[1].port, weight: 100 } },
  ]);
  const r = await ps.stack.up({ onOutput: (s) => process.stdout.write(s) });
  console.log(r.summary.resourceChanges);
  console.log(haproxyCfg(bench));
  console.log(await sendThrough(bench, "api", 4));
});
