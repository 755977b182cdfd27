// Certificate through real Pulumi programs against a real HAProxy and DPAPI,
// for both API generations: upload with the facts node:crypto reads, no key
// material in state or preview output, rotation that a TLS handshake through
// HAProxy sees (without a reload where DPAPI uses the runtime API), check
// failures that send nothing, drift on refresh, a clear error while a bind
// uses the file, and clean-up. Certificates are made by openssl at test time.
import { X509Certificate, createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startBench, freePort, type Bench } from "../bench/bench";
import { programStack, type Declared, type ProgramStack } from "../support/pulumi";
import { accessLogLines, configVersion, rawGet, reloadCount } from "../support/dpapi";
import { GENERATIONS, describeWith } from "../support/requires";
import {
  CertFactory, declareSecretly, exportStackAsStored, pemBodyLines, presentedFingerprint, putStorageFile, stateOutputs, writeRequests,
  type TestCert,
} from "../support/haproxy-files";

for (const gen of GENERATIONS) {
  describeWith([gen, "pulumi"], `Certificate on DPAPI ${gen}`, () => {
    let bench: Bench; let ps: ProgramStack; let certs: CertFactory;
    let first: TestCert; let second: TestCert; let outsider: TestCert;
    let tlsPort: number;
    const siteFile = () => join(bench.haproxy.sslDir, "site.pem");
    const site = (c: TestCert, extra: Record<string, unknown> = {}): Declared =>
      ({ type: "Certificate", name: "site", args: { name: "site.pem", certificate: c.cert, privateKey: { $secret: c.key }, ...extra } });
    /**
     * A TLS listener that presents the certificate file. It names the file by its path as text, as a listener of
     * another stack would: with `{ $ref: "site.path" }` Pulumi would order it before the certificate, and the
     * test of deleting a certificate a bind still uses could not happen.
     */
    const tls = (): Declared =>
      ({ type: "Frontend", name: "tls", args: { mode: "http", binds: [{ address: "127.0.0.1", port: tlsPort, ssl: { certificates: [siteFile()] } }] } });
    let current: Declared[] = [];
    // Dynamic providers receive the whole stack config, and Pulumi stores it as the default provider's inputs:
    // key material in a plaintext config value would land in the state, so the declarations go in a secret one.
    const declare = async (resources: Declared[]) => { current = resources; await declareSecretly(ps, resources); };
    const declareOnly = (resources: Declared[]) => declareSecretly(ps, resources);
    const fingerprint = (c: TestCert) => new X509Certificate(c.cert).fingerprint256;
    /** No line of any private key used in this suite appears in `text`. */
    const expectNoKeyMaterial = (text: string) => {
      expect(text).not.toMatch(/PRIVATE KEY/);
      for (const c of [first, second, outsider]) for (const line of pemBodyLines(c.key)) expect(text).not.toContain(line);
    };

    beforeAll(async () => {
      certs = new CertFactory();
      first = certs.selfSigned("site.test");
      second = certs.selfSigned("site.test");
      outsider = certs.selfSigned("outsider.test");
      bench = await startBench({ dataplane: gen });
      tlsPort = await freePort();
      ps = await programStack(bench);
    });
    afterAll(async () => {
      await ps?.dispose();
      await bench?.stop();
    });

    test("create uploads certificate and key, and outputs what the certificate says", async () => {
      await declare([site(first)]);
      const up = await ps.stack.up();
      expect(up.summary.resourceChanges).toMatchObject({ create: 2 });
      const out = await stateOutputs(ps, "Certificate", "site");
      const x = new X509Certificate(first.cert);
      expect(out).toMatchObject({
        path: siteFile(),
        subject: "CN=site.test",
        sans: ["DNS:site.test"],
        issuer: "CN=site.test",
        notBefore: new Date(x.validFrom).toISOString(),
        notAfter: new Date(x.validTo).toISOString(),
        fingerprintSha256: x.fingerprint256,
      });
      // HAProxy's file holds certificate and key.
      const stored = readFileSync(siteFile(), "utf8");
      expect(stored).toContain(first.cert.trim());
      expect(stored).toContain(first.key.trim());
      expect(((await rawGet(bench, "/services/haproxy/storage/ssl_certificates/site.pem")) as { file: string }).file).toBe(siteFile());
    });

    test("no key material in plaintext in the state (pulumi stack export) or in preview output", async () => {
      const text = exportStackAsStored(ps);
      expectNoKeyMaterial(text);
      const res = JSON.parse(text).deployment.resources.find((r: { type: string }) => r.type === "pulumi-nodejs:dynamic/haproxy:Certificate");
      // The key is a secret input and no output at all: its digest is enough to see it change.
      expect(res.outputs.privateKey).toBeUndefined();
      expect(res.outputs.privateKeySha256).toBe(createHash("sha256").update(first.key).digest("hex"));
      expect(res.inputs.privateKey).toMatchObject({ ciphertext: expect.any(String) });

      await declareOnly([site(second)]);
      const preview = await ps.stack.preview({ diff: true });
      expect(preview.changeSummary).toMatchObject({ update: 1 });
      expect(preview.stdout).toContain("privateKey");
      expectNoKeyMaterial(preview.stdout);
      expectNoKeyMaterial(preview.stderr);
      await declareOnly(current);
    });

    test("a new certificate under the same name replaces the file in place; the TLS handshake presents it", async () => {
      // A listener uses the certificate (created by the first test).
      await declare([site(first), tls()]);
      expect((await ps.stack.up()).summary.resourceChanges).toMatchObject({ create: 1 });
      expect(await presentedFingerprint(tlsPort)).toBe(fingerprint(first));

      const reloads = await reloadCount(bench);
      await declare([site(second), tls()]);
      const up = await ps.stack.up();
      expect(up.summary.resourceChanges).toMatchObject({ update: 1 });
      expectNoKeyMaterial(up.stdout);
      expect(await presentedFingerprint(tlsPort)).toBe(fingerprint(second));
      if (gen === "v3") {
        // DPAPI >= 3.2 sets the certificate through HAProxy's runtime API.
        expect(await reloadCount(bench)).toBe(reloads);
      } else {
        // v2 reloads HAProxy; the resource waited for that reload to succeed before returning.
        expect(await reloadCount(bench)).toBe(reloads + 1);
        const latest = (await rawGet(bench, "/services/haproxy/reloads")) as Array<{ status: string }>;
        expect(latest[0].status).toBe("succeeded");
      }
      expect((await stateOutputs(ps, "Certificate", "site"))?.fingerprintSha256).toBe(fingerprint(second));
    });

    test("refresh notices a certificate file replaced outside Pulumi, and up puts the declared one back", async () => {
      await putStorageFile(bench, "ssl_certificates", "site.pem", outsider.cert + outsider.key);
      expect(await presentedFingerprint(tlsPort)).toBe(fingerprint(outsider));

      const refresh = await ps.stack.refresh();
      expect(refresh.summary.resourceChanges).toMatchObject({ update: 1 });
      expect(String((await stateOutputs(ps, "Certificate", "site"))?.certificate)).toMatch(/replaced outside Pulumi/);
      const preview = await ps.stack.preview({ diff: true });
      expect(preview.changeSummary).toMatchObject({ update: 1 });

      await ps.stack.up();
      expect(await presentedFingerprint(tlsPort)).toBe(fingerprint(second));
      const again = await ps.stack.preview();
      expect(again.changeSummary).not.toHaveProperty("update");
    });

    describe("check refuses bad PEM material before any request", () => {
      const cases: Array<[string, () => Record<string, unknown>, RegExp]> = [
        ["a certificate that is not PEM", () => ({ certificate: "not a certificate", privateKey: { $secret: first.key } }),
          /certificate: is not a PEM certificate/],
        ["a corrupt PEM block", () => ({ certificate: first.cert.replace(/\n[A-Za-z0-9+/]{10}/, "\n!!!!!!!!!!"), privateKey: { $secret: first.key } }),
          /certificate: does not parse as a PEM X\.509 certificate/],
        ["a key that does not match", () => ({ certificate: first.cert, privateKey: { $secret: second.key } }),
          /privateKey: does not match the certificate/],
        ["an expired certificate", () => { const e = certs.expired("old.test"); return { certificate: e.cert, privateKey: { $secret: e.key } }; },
          /certificate: expired on 2020-01-02T00:00:00\.000Z .*allowExpired: true/],
        ["an empty name", () => ({ name: "", certificate: first.cert, privateKey: { $secret: first.key } }),
          /name: must be a file name/],
      ];
      test.each(cases)("%s", async (_what, args, message) => {
        const version = await configVersion(bench);
        const writes = writeRequests(accessLogLines(bench)).length;
        await declareOnly([...current, { type: "Certificate", name: "bad", args: { name: "bad.pem", ...args() } }]);
        const err = await ps.stack.up().then(() => undefined, (e: Error) => e);
        expect(err?.message).toMatch(message);
        expectNoKeyMaterial(err?.message ?? "");
        expect(await configVersion(bench)).toBe(version);
        expect(writeRequests(accessLogLines(bench)).length).toBe(writes);
        await declareOnly(current);
      });

      test("allowExpired: true lets an expired certificate through check", async () => {
        const e = certs.expired("old.test");
        await declareOnly([...current, { type: "Certificate", name: "old", args: { name: "old.pem", certificate: e.cert, privateKey: { $secret: e.key }, allowExpired: true } }]);
        const preview = await ps.stack.preview();
        expect(preview.changeSummary).toMatchObject({ create: 1 });
        await declareOnly(current);
      });
    });

    test("deleting a certificate a bind still uses fails with a clear error", async () => {
      // The listener stays: the Certificate goes alone.
      await declare([tls()]);
      const err = await ps.stack.up().then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(/Certificate "site\.pem" cannot be deleted while haproxy\.cfg uses it/);
      expect(err?.message).toMatch(new RegExp(`line \\d+: bind 127\\.0\\.0\\.1:${tlsPort} .*crt ${siteFile().replace(/\./g, "\\.")}`));
      expect(existsSync(siteFile())).toBe(true);
      expect(await presentedFingerprint(tlsPort)).toBe(fingerprint(second));
    });

    test("destroy removes the certificate once no bind uses it", async () => {
      // The listener goes first (nothing orders it before the Certificate).
      await declare([site(second)]);
      expect((await ps.stack.up()).summary.resourceChanges).toMatchObject({ delete: 1 });
      await expect(presentedFingerprint(tlsPort)).rejects.toThrow();
      await ps.stack.destroy();
      const stored = (await rawGet(bench, "/services/haproxy/storage/ssl_certificates")) as unknown[] | null;
      expect(stored ?? []).toEqual([]);
      expect(existsSync(siteFile())).toBe(false);
    });
  });
}
