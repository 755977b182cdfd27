// Secrets under verbose logging, as a user debugging a failed deploy runs it: `--logtostderr -v=9 --debug`
// on up, preview --diff, refresh and destroy. The DPAPI password (stack config and a per-resource
// connection), a private key and a Consul token appear in no output and in no file of the stack's folder.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startBench, type Bench } from "../bench/bench";
import { programStack, type ProgramStack } from "../support/pulumi";
import { CertFactory, declareSecretly, stateOutputs } from "../support/haproxy-files";
import { describeWith, GENERATIONS } from "../support/requires";

const TOKEN = "b1c0ffee-0000-4000-8000-00000000beef";

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (n === "node_modules") return [];
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

for (const gen of GENERATIONS) {
  describeWith([gen, "pulumi", "consul"], `secrets under --logtostderr -v=9 --debug with dataplaneapi ${gen}`, () => {
    let bench: Bench;
    let ps: ProgramStack;
    const certs = new CertFactory();
    const cert = certs.selfSigned("site.test");
    const keyLines = () => cert.key.split("\n").filter((l) => l && !l.startsWith("-----"));
    beforeAll(async () => {
      bench = await startBench({ dataplane: gen, consul: true, consulAclToken: TOKEN });
      ps = await programStack(bench);
    });
    afterAll(async () => { await ps?.dispose(); await bench?.stop(); });

    test("up, preview --diff, refresh and destroy print no secret, and the stack's files hold none", async () => {
      const dp = bench.dataplane!;
      const declare = (weight: number) => declareSecretly(ps, [
        { type: "Certificate", name: "site", args: { name: "site.pem", certificate: cert.cert, privateKey: { $secret: cert.key } } },
        { type: "Backend", name: "app", args: { balance: { algorithm: "roundrobin" },
          servers: [{ name: "s1", address: "127.0.0.1", port: 9, weight }],
          connection: { url: dp.url, username: dp.username, password: { $secret: dp.password } } } },
        { type: "ConsulDiscovery", name: "catalog", args: { address: "127.0.0.1", port: bench.consul!.port, token: { $secret: TOKEN },
          serviceAllowlist: ["web"], enabled: true } },
      ]);
      const verbose = { logToStdErr: true, logVerbosity: 9, debug: true };
      const outputs: string[] = [];
      const keep = (r: { stdout: string; stderr: string }) => outputs.push(r.stdout, r.stderr);
      await declare(10);
      keep(await ps.stack.up(verbose));
      // The per-resource connection, password included, is in the state (encrypted): the checks below mean something.
      expect(JSON.stringify((await stateOutputs(ps, "Backend", "app"))?.connection)).toContain(dp.password);
      await declare(20);
      keep(await ps.stack.preview({ ...verbose, diff: true }));
      keep(await ps.stack.up(verbose));
      keep(await ps.stack.refresh(verbose));
      keep(await ps.stack.destroy(verbose));
      const text = outputs.join("\n");
      // The run really was verbose (engine and SDK debug lines), so an absence means something.
      expect(text).toMatch(/RegisterResource/);
      if (process.env.SECRETS_LOG_DUMP) writeFileSync(process.env.SECRETS_LOG_DUMP, text);
      const files = filesUnder(ps.dir).map((f) => [f, readFileSync(f, "utf8")] as const);
      for (const [what, secret] of [["DPAPI password", dp.password], ["Consul token", TOKEN], ...keyLines().map((l) => ["private key line", l])] as const) {
        expect({ what, inOutput: text.includes(secret) }).toEqual({ what, inOutput: false });
        expect({ what, inFiles: files.filter(([, c]) => c.includes(secret)).map(([f]) => f) }).toEqual({ what, inFiles: [] });
      }
    });
  });
}
