// Ctrl-C in the middle of `pulumi up`, as a terminal sends it: SIGINT to the CLI's whole process group (CLI,
// language host, provider) once half of the writes are in DPAPI's access log. Pulumi cancels; no DPAPI
// transaction is left open; HAProxy serves its last good configuration throughout; the next `up` converges with
// no manual step, and refresh and preview agree with HAProxy.
import { spawn } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { startBench, freePort, sleep, type Bench } from "../bench/bench";
import { programStack, type ProgramStack } from "../support/pulumi";
import { hundredObjects, liveEdge, serversOf } from "../support/fault-programs";
import { haproxyCfg, openTransactions } from "../support/dpapi";
import { requestLoop, startUpstream, stopRequestLoops, type Upstream } from "../support/upstreams";
import { describeWith, GENERATIONS } from "../support/requires";

const WRITE = /"(POST|PUT|DELETE) [^"]*(backends|servers|raw|transactions)/;

/** Resolves once DPAPI's access log holds `count` writes after `offset` bytes. */
async function writesSeen(path: string, offset: number, count: number): Promise<void> {
  for (let i = 0; i < 6000; i++) {
    const lines = readFileSync(path, "utf8").slice(offset).split("\n");
    if (lines.filter((l) => WRITE.test(l)).length >= count) return;
    await sleep(10);
  }
  throw new Error(`fewer than ${count} writes in the access log`);
}

/** `pulumi up --yes` in the stack's folder, in a process group of its own, as a shell runs it. */
function cliUp(ps: ProgramStack, stackName: string) {
  const child = spawn("pulumi", ["up", "--yes", "--stack", stackName], { cwd: ps.dir, env: { ...process.env, ...ps.env }, detached: true });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, exited, output: () => output };
}

for (const gen of GENERATIONS) {
  describeWith([gen, "pulumi"], `Ctrl-C during pulumi up, dataplaneapi ${gen}`, () => {
    let bench: Bench;
    let ps: ProgramStack;
    let up: Upstream;
    let port: number;
    beforeAll(async () => {
      bench = await startBench({ dataplane: gen });
      ps = await programStack(bench, { stackName: "ctrlc" });
      up = await startUpstream("live");
      port = await freePort();
    });
    afterEach(stopRequestLoops);
    afterAll(async () => { await ps?.dispose(); await bench?.stop(); await up?.close(); });

    test("SIGINT at half the writes: cancelled, no transaction open, traffic never stops, the next up converges", async () => {
      const edge = liveEdge(up.port, port);
      await ps.declare(edge);
      await ps.stack.up();
      const traffic = requestLoop(port, "x", "live");

      await ps.declare([...edge, ...hundredObjects("cc", up.port)]);
      const log = bench.dataplane!.logPath;
      const from = statSync(log).size;
      const cli = cliUp(ps, "ctrlc");
      // 100 objects take well over 100 writes in all; 50 is about half of the resources' writes.
      await writesSeen(log, from, 50);
      process.kill(-cli.child.pid!, "SIGINT");
      const code = await cli.exited;
      expect(code).not.toBe(0);
      expect(cli.output()).toMatch(/cancel/i);
      // Cancelled, not finished: some of the 90 servers are not there.
      expect(serversOf(haproxyCfg(bench), "cc")).toBeLessThan(90);
      expect(await openTransactions(bench)).toEqual([]);

      const again = await ps.stack.up();
      expect(again.summary.result).toBe("succeeded");
      expect(serversOf(haproxyCfg(bench), "cc")).toBe(90);
      expect(await openTransactions(bench)).toEqual([]);
      expect((await ps.stack.refresh()).summary.resourceChanges).not.toHaveProperty("update");
      expect((await ps.stack.preview()).changeSummary).toEqual({ same: 103 });

      const { sent, failed } = await traffic.stop();
      expect(sent).toBeGreaterThan(50);
      expect(failed).toEqual([]);
      await ps.stack.destroy();
    });
  });
}
