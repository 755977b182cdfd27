// A certificate with its intermediate chain: HAProxy presents leaf then
// intermediate, so clients that trust only the root can build the path.
import { startBench, freePort, type Bench } from "../bench/bench";
import { programStack, type ProgramStack } from "../support/pulumi";
import { GENERATIONS, describeWith } from "../support/requires";
import { CertFactory, declareSecretly, presentedChain } from "../support/haproxy-files";

for (const gen of GENERATIONS) {
  describeWith([gen, "pulumi"], `Certificate with a chain on DPAPI ${gen}`, () => {
    let bench: Bench; let ps: ProgramStack;
    beforeAll(async () => {
      bench = await startBench({ dataplane: gen });
      ps = await programStack(bench);
    });
    afterAll(async () => { await ps?.dispose(); await bench?.stop(); });

    test("HAProxy presents the leaf and its intermediate, in that order", async () => {
      const signed = new CertFactory().signedByCa("site.test", "Bench Intermediate CA");
      const port = await freePort();
      await declareSecretly(ps, [
        { type: "Certificate", name: "site", args: {
          name: "chained.pem", certificate: signed.cert, chain: signed.chain, privateKey: { $secret: signed.key } } },
        // A TLS listener that presents it.
        { type: "Frontend", name: "tls", args: { mode: "http", binds: [{ address: "127.0.0.1", port, ssl: { certificates: [{ $ref: "site.path" }] } }] } },
      ]);
      await ps.stack.up();
      expect(await presentedChain(port)).toEqual(["site.test", "Bench Intermediate CA"]);
      await ps.stack.destroy();
    });
  });
}
