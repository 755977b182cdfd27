// Releases under load, on a CI scale: while `pulumi up` applies each kind of change, a real load client
// (wrk) sends requests through HAProxy, once opening a connection per request and once keeping them
// alive, and not one request may fail. `bash scripts/benchmark.sh traffic` runs the full-size version.
import { startBench, type Bench } from "../bench/bench";
import { programStack, type ProgramStack } from "../support/pulumi";
import { startEdge, type Edge, type Kind } from "../support/traffic";
import { describeWith, GENERATIONS } from "../support/requires";

const PLAN: Array<[Kind, number]> = [["blue-green", 2], ["canary", 2], ["server-weight", 3], ["reload", 2], ["certificate", 1]];

for (const gen of GENERATIONS) {
  describeWith([gen, "pulumi", "wrk"], `releases under load with dataplaneapi ${gen}`, () => {
    let bench: Bench;
    let ps: ProgramStack;
    let edge: Edge;
    beforeAll(async () => {
      bench = await startBench({ dataplane: gen });
      ps = await programStack(bench);
      edge = await startEdge(bench, ps);
    });
    afterAll(async () => {
      await edge?.close();
      await ps?.dispose();
      await bench?.stop();
    });

    for (const client of ["new-connection", "keep-alive"] as const) {
      test.each(PLAN)(`${client}: %s changes (%i) fail no request`, async (kind, count) => {
        const r = await edge.measure(kind, count, client);
        expect(r.sent).toBeGreaterThan(100);
        expect({ failed: r.failed, non2xx: r.non2xx, errors: r.errors }).toEqual({ failed: 0, non2xx: 0, errors: { connect: 0, read: 0, write: 0, timeout: 0 } });
      });
    }
  });
}
