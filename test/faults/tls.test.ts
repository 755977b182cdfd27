// TLS to the Data Plane API, through the real CLI: the bench serves DPAPI over HTTPS only, with a certificate
// from a throw-away CA. `caCert` in stack config works; without it `up` fails before any change, saying the
// certificate is not trusted and naming haproxy-dataplane:caCert; `insecureSkipVerify` works and warns once.
// Plus the clear-text warning for a password sent over http:// to a host that is not loopback.
import { startBench, type Bench } from "../bench/bench";
import { programStack, type Declared, type ProgramStack } from "../support/pulumi";
import { haproxyCfg, openTransactions } from "../support/dpapi";
import { describeWith, GENERATIONS } from "../support/requires";
import { connectionRisks, setWarningSink, warnOnce } from "../../provider/client/warnings";

const backends = (n: number): Declared[] => Array.from({ length: n }, (_, i) => ({
  type: "Backend" as const, name: `tls${i}`,
  args: { balance: { algorithm: "roundrobin" }, servers: [{ name: "s1", address: "127.0.0.1", port: 9 }] },
}));

const outputOf = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

for (const gen of GENERATIONS) {
  describeWith([gen, "pulumi"], `TLS to dataplaneapi ${gen}`, () => {
    let bench: Bench;
    const stacks: ProgramStack[] = [];
    beforeAll(async () => { bench = await startBench({ dataplane: gen, tls: true }); });
    afterAll(async () => {
      for (const ps of stacks) await ps.dispose();
      await bench?.stop();
    });
    afterEach(async () => { expect(await openTransactions(bench)).toEqual([]); });

    const stackWith = async (name: string, config: Record<string, { value: string; secret?: boolean }>) => {
      const ps = await programStack(bench, { stackName: name, config });
      stacks.push(ps);
      return ps;
    };

    test("the URL is https and plain http is not served", async () => {
      expect(bench.dataplane!.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const plain = bench.dataplane!.url.replace(/^https/, "http");
      const answer = await fetch(`${plain}/${gen}/info`).then((r) => r.status, () => "refused");
      expect(answer).not.toBe(200);
    });

    test("with haproxy-dataplane:caCert, up, refresh and destroy work, with no warning", async () => {
      const ps = await stackWith("trusted", { "haproxy-dataplane:caCert": { value: bench.dataplane!.caCert! } });
      await ps.declare(backends(3));
      const up = await ps.stack.up();
      expect(up.summary.resourceChanges).toMatchObject({ create: 4 }); // three backends and the stack
      expect(outputOf(up)).not.toMatch(/TLS verification is off|clear text/);
      for (let i = 0; i < 3; i++) expect(haproxyCfg(bench)).toMatch(new RegExp(`^backend tls${i}\\b`, "m"));
      expect((await ps.stack.refresh()).summary.resourceChanges).not.toHaveProperty("update");
      await ps.stack.destroy();
      expect(haproxyCfg(bench)).not.toMatch(/^backend tls\d/m);
    });

    test("without caCert, up fails before any change: not trusted, naming haproxy-dataplane:caCert", async () => {
      const ps = await stackWith("untrusted", {});
      await ps.declare(backends(3));
      const before = haproxyCfg(bench);
      const err = await ps.stack.up().then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(/TLS certificate .* is not trusted/);
      expect(err?.message).toMatch(/haproxy-dataplane:caCert/);
      expect(err?.message).not.toContain(bench.dataplane!.password);
      expect(haproxyCfg(bench)).toBe(before);
      const state = await ps.stack.exportStack();
      expect((state.deployment.resources ?? []).filter((r: { type: string }) => r.type.includes("dynamic:Resource"))).toEqual([]);
    });

    test("insecureSkipVerify works, and warns once per run", async () => {
      const ps = await stackWith("insecure", { "haproxy-dataplane:insecureSkipVerify": { value: "true" } });
      await ps.declare(backends(3));
      const up = await ps.stack.up();
      expect(up.summary.resourceChanges).toMatchObject({ create: 4 }); // three backends and the stack
      // The CLI shows a warning as it happens and again under "Diagnostics:": one there means one warning.
      const diagnostics = outputOf(up).split("Diagnostics:")[1] ?? "";
      const warnings = diagnostics.match(/TLS verification is off for the Data Plane API/g) ?? [];
      expect(warnings).toHaveLength(1);
      await ps.stack.destroy();
    });
  });
}

describe("connection warnings", () => {
  test("a password over http:// to a host that is not loopback is sent in clear text: one warning names the origin", () => {
    expect(connectionRisks({ url: "http://lb-1.internal:5555", password: "pw", insecureSkipVerify: false }))
      .toEqual([expect.stringMatching(/password travels in clear text to http:\/\/lb-1\.internal:5555/)]);
    for (const url of ["http://127.0.0.1:5555", "http://localhost:5555", "http://[::1]:5555", "https://lb-1.internal:5555"]) {
      expect([url, connectionRisks({ url, password: "pw", insecureSkipVerify: false })]).toEqual([url, []]);
    }
    expect(connectionRisks({ url: "http://lb-1.internal:5555", password: "", insecureSkipVerify: false })).toEqual([]);
    expect(connectionRisks({ url: "https://lb-1.internal:5555", password: "pw", insecureSkipVerify: true }))
      .toEqual([expect.stringMatching(/TLS verification is off .*haproxy-dataplane:caCert/)]);
  });

  test("each warning is given once per process", () => {
    const seen: string[] = [];
    setWarningSink((m) => seen.push(m));
    warnOnce("a"); warnOnce("b"); warnOnce("a");
    expect(seen).toEqual(["a", "b"]);
  });
});
