// The Data Plane API dies in the middle of `pulumi up` (SIGKILL, as an OOM kill does, triggered by its own access
// log once transactions are being written) and comes back: up fails naming the endpoint, HAProxy serves its last
// good configuration throughout, the next up converges and leaves no transaction open, and refresh agrees.
import { readFileSync, statSync } from "node:fs";
import { startBench, freePort, sleep, type Bench } from "../bench/bench";
import { programStack, type ProgramStack } from "../support/pulumi";
import { hundredObjects, liveEdge } from "../support/fault-programs";
import { openTransactions } from "../support/dpapi";
import { requestLoop, startUpstream, stopRequestLoops, type Upstream } from "../support/upstreams";
import { describeWith, GENERATIONS } from "../support/requires";

/** Resolves once DPAPI's access log shows a write into a transaction after `offset` bytes. */
async function transactionWritesSeen(path: string, offset: number): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    const size = statSync(path).size;
    if (size > offset && /"(POST|PUT) [^"]*transaction_id=/.test(readFileSync(path, "utf8").slice(offset))) return;
    await sleep(10);
  }
  throw new Error("no transaction write seen in the access log");
}

for (const gen of GENERATIONS) {
  describeWith([gen, "pulumi"], `Data Plane API killed mid-apply, dataplaneapi ${gen}`, () => {
    let bench: Bench;
    let ps: ProgramStack;
    let up: Upstream;
    let port: number;
    beforeAll(async () => {
      bench = await startBench({ dataplane: gen });
      ps = await programStack(bench);
      up = await startUpstream("live");
      port = await freePort();
    });
    afterEach(stopRequestLoops);
    afterAll(async () => { await ps?.dispose(); await bench?.stop(); await up?.close(); });

    test("up fails naming the endpoint; the next up converges with no transaction left open; traffic never stops", async () => {
      const edge = liveEdge(up.port, port);
      await ps.declare(edge);
      await ps.stack.up();
      const traffic = requestLoop(port, "app.example.com", "live");

      await ps.declare([...edge, ...hundredObjects("be", up.port)]);
      const log = bench.dataplane!.logPath;
      const applying = ps.stack.up().then(() => undefined, (e: Error) => e);
      await transactionWritesSeen(log, statSync(log).size);
      await bench.dataplane!.kill();
      const err = await applying;
      expect(err).toBeInstanceOf(Error);
      expect(err!.message).toContain(bench.dataplane!.url.replace("http://", ""));

      await bench.dataplane!.start();
      // The transaction the provider had open survives DPAPI's restart (its cleanup ran while DPAPI was down);
      // the next up deletes it once its own commit makes it outdated.
      const res = await ps.stack.up();
      expect(res.summary.result).toBe("succeeded");
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
