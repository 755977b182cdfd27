// Helpers for the MapFile and Certificate suites: change DPAPI storage behind
// Pulumi's back (as an operator would), look at the certificate a TLS listener
// presents, make test certificates with the openssl CLI, and read Pulumi state.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Bench } from "../bench/bench";
import { rawGet } from "./dpapi";
import type { ProgramStack } from "./pulumi";

function auth(bench: Bench) {
  const dp = bench.dataplane!;
  return { authorization: "Basic " + Buffer.from(`${dp.username}:${dp.password}`).toString("base64") };
}

/** Waits until DPAPI reports the reload succeeded; throws with HAProxy's output if it failed. */
export async function waitForReload(bench: Bench, id: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const r = (await rawGet(bench, `/services/haproxy/reloads/${id}`)) as { status?: string; response?: string };
    if (r.status === "succeeded") return;
    if (r.status === "failed") throw new Error(`reload ${id} failed: ${r.response}`);
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`reload ${id} did not finish`);
}

/** Replaces a file in DPAPI storage outside Pulumi (text/plain PUT), waiting for any reload. */
export async function putStorageFile(bench: Bench, kind: "maps" | "ssl_certificates", name: string, text: string): Promise<void> {
  const dp = bench.dataplane!;
  const query = kind === "maps" ? "?skip_reload=true" : "";
  const res = await fetch(`${dp.url}/${dp.generation}/services/haproxy/storage/${kind}/${name}${query}`, {
    method: "PUT", headers: { ...auth(bench), "content-type": "text/plain" }, body: text,
  });
  if (res.status >= 300) throw new Error(`storage PUT → ${res.status}: ${await res.text()}`);
  const reload = res.headers.get("reload-id");
  if (reload) await waitForReload(bench, reload);
}

/** Polls until HAProxy has the map loaded (listed by the runtime API). */
export async function waitForMapLoaded(bench: Bench, name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const m = (await rawGet(bench, `/services/haproxy/runtime/maps/${name}`)) as { id?: string; file?: string } | null;
    if (m && typeof m === "object" && m.file) return;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`map ${name} never loaded`);
}

/** Subjects (CN) of the certificates a TLS listener presents, leaf first. */
export function presentedChain(port: number, servername = "site.test"): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, servername, rejectUnauthorized: false }, () => {
      const names: string[] = [];
      for (let c = socket.getPeerCertificate(true); c && Object.keys(c).length && names.length < 5; c = c.issuerCertificate) {
        names.push(String(c.subject?.CN));
        if (c.issuerCertificate === c) break;
      }
      socket.end();
      resolve(names);
    });
    socket.on("error", reject);
  });
}

/** The SHA-256 fingerprint of the certificate a TLS listener presents. */
export function presentedFingerprint(port: number, servername = "site.test"): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, servername, rejectUnauthorized: false }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fp);
    });
    socket.on("error", reject);
  });
}

export interface TestCert { cert: string; key: string }

/** Self-signed certificates made by the openssl CLI in a temporary folder. */
export class CertFactory {
  readonly dir = mkdtempSync(join(tmpdir(), "test-certs-"));
  private n = 0;

  private run(args: string[]): void {
    execFileSync("openssl", args, { cwd: this.dir, stdio: "pipe" });
  }

  /** A fresh key and a certificate valid for `days` from now. */
  selfSigned(cn: string, days = 30): TestCert {
    const id = `c${this.n++}`;
    this.run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${id}.key`,
      "-out", `${id}.crt`, "-days", String(days), "-subj", `/CN=${cn}`, "-addext", `subjectAltName=DNS:${cn}`]);
    return { cert: readFileSync(join(this.dir, `${id}.crt`), "utf8"), key: readFileSync(join(this.dir, `${id}.key`), "utf8") };
  }

  /** A leaf certificate signed by a fresh intermediate CA; `chain` is that CA's certificate. */
  signedByCa(cn: string, caName = "Bench Intermediate CA"): TestCert & { chain: string } {
    const id = `s${this.n++}`;
    this.run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${id}-ca.key`,
      "-out", `${id}-ca.crt`, "-days", "30", "-subj", `/CN=${caName}`, "-addext", "basicConstraints=critical,CA:TRUE"]);
    this.run(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${id}.key`,
      "-out", `${id}.csr`, "-subj", `/CN=${cn}`]);
    writeFileSync(join(this.dir, `${id}.ext`), `subjectAltName=DNS:${cn}\n`);
    this.run(["x509", "-req", "-in", `${id}.csr`, "-CA", `${id}-ca.crt`, "-CAkey", `${id}-ca.key`, "-CAcreateserial",
      "-out", `${id}.crt`, "-days", "30", "-extfile", `${id}.ext`]);
    const read = (f: string) => readFileSync(join(this.dir, f), "utf8");
    return { cert: read(`${id}.crt`), key: read(`${id}.key`), chain: read(`${id}-ca.crt`) };
  }

  /** A certificate whose validity ended in 2020 (openssl ca accepts explicit dates). */
  expired(cn: string): TestCert {
    const id = `e${this.n++}`;
    const ca = join(this.dir, id);
    execFileSync("mkdir", ["-p", ca]);
    writeFileSync(join(ca, "index.txt"), "");
    writeFileSync(join(ca, "serial"), "01\n");
    writeFileSync(join(ca, "ca.cnf"), `[ca]\ndefault_ca = d\n[d]\ndatabase = ${ca}/index.txt\nserial = ${ca}/serial\nnew_certs_dir = ${ca}\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n`);
    this.run(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${id}.key`, "-out", `${id}.csr`, "-subj", `/CN=${cn}`]);
    this.run(["ca", "-batch", "-config", join(ca, "ca.cnf"), "-selfsign", "-keyfile", `${id}.key`, "-in", `${id}.csr`, "-out", `${id}.crt`,
      "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-notext"]);
    return { cert: readFileSync(join(this.dir, `${id}.crt`), "utf8"), key: readFileSync(join(this.dir, `${id}.key`), "utf8") };
  }
}

/** The body lines of a PEM (base64 only): what must never appear in plaintext. */
export function pemBodyLines(pem: string): string[] {
  return pem.split("\n").filter((l) => l && !l.startsWith("-----"));
}

/**
 * `pulumi stack export` as a user runs it: secrets stay encrypted (the Automation API's exportStack
 * passes --show-secrets, so it cannot prove anything about plaintext).
 */
export function exportStackAsStored(ps: ProgramStack): string {
  return execFileSync("pulumi", ["stack", "export", "--stack", "test"], { cwd: ps.dir, env: { ...process.env, ...ps.env }, encoding: "utf8" });
}

/** Declares the program's resources through a secret config value, so key material given as input stays encrypted. */
export async function declareSecretly(ps: ProgramStack, resources: unknown[]): Promise<void> {
  await ps.stack.setConfig("bench-program:resources", { value: JSON.stringify(resources), secret: true });
}

/** Outputs of a resource in the stack's state (`pulumi stack export`). */
export async function stateOutputs(ps: ProgramStack, type: string, name: string): Promise<Record<string, unknown> | undefined> {
  const dep = await ps.stack.exportStack();
  const res = (dep.deployment.resources ?? []).find((r: { type: string; urn: string }) =>
    r.type === `pulumi-nodejs:dynamic/haproxy:${type}` && r.urn.endsWith(`::${name}`));
  return res?.outputs;
}

/** Write requests (POST, PUT, DELETE) in the DPAPI access log. */
export function writeRequests(lines: string[]): string[] {
  return lines.filter((l) => /"(POST|PUT|DELETE) \//.test(l));
}
