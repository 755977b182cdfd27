// A certificate with its intermediate chain: HAProxy presents leaf then
// intermediate, so clients that trust only the root can build the path.
import { join } from "node:path";
import { startBench, freePort, type Bench } from "../bench/bench";
import { programStack, type ProgramStack } from "../support/pulumi";
import { GENERATIONS, describeWith } from "../support/requires";
import { CertFactory, declareSecretly, editConfig, presentedChain, removeLines } from "../support/haproxy-files";

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
      await declareSecretly(ps, [{ type: "Certificate", name: "site", args: {
        name: "chained.pem", certificate: signed.cert, chain: signed.chain, privateKey: { $secret: signed.key } } }]);
      await ps.stack.up();
      const port = await freePort();
      const file = join(bench.haproxy.sslDir, "chained.pem");
      await editConfig(bench, (cfg) => `${cfg.trimEnd()}\n\nfrontend fe_tls\n  bind 127.0.0.1:${port} ssl crt ${file}\n  default_backend be_default\n`);
      expect(await presentedChain(port)).toEqual(["site.test", "Bench Intermediate CA"]);
      await editConfig(bench, (cfg) => removeLines(`bind 127.0.0.1:${port}`)(cfg).replace(/\nfrontend fe_tls[^\n]*\n([ \t]+[^\n]*\n)*/, "\n"));
      await ps.stack.destroy();
    });
  });
}
