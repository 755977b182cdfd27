// The life of a Certificate: a PEM (certificate, chain, private key) in
// DPAPI's SSL storage, for `bind ... ssl crt <path>`. Everything about the
// PEM is checked with node:crypto before any request. The private key is a
// secret input and never an output: the state keeps its SHA-256, enough to
// see it change (outputs are printed by the SDK's debug log, secrets included).
// The combined PEM is never stored in state.
// Rotation replaces the stored file in place: DPAPI >= 3.2 applies it through
// HAProxy's runtime API (no reload), older ones reload, and the reload is
// waited for.
import { X509Certificate, createHash, createPrivateKey, type KeyObject } from "node:crypto";
import { z } from "zod";
import { DpapiError, isDpapiError, type DataplaneClient, type SslCertificate } from "../client";
import { clientFor } from "../connection";
import {
  STATE_VERSION, ResourceConnectionSchema, UNKNOWN, checkInputs, diffInputs, withoutProvider,
  type CheckFailure, type CheckResult, type DiffResult,
  removeObject,
} from "./common";

export const CertificateInputsSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9]+$/, "must be a file name such as site.pem: letters, digits, - and _, then an extension (DPAPI renames anything else)")
    .describe("File name in DPAPI SSL storage, e.g. site.pem. Changing it replaces the certificate."),
  certificate: z.string().min(1, "must be a PEM certificate").describe("PEM of the certificate; intermediates may follow it, or go in `chain`."),
  chain: z.string().optional().describe("PEM of the intermediate certificates, leaf's issuer first."),
  privateKey: z.string().min(1, "must be a PEM private key").describe("PEM of the unencrypted private key. Stored only as a secret."),
  allowExpired: z.boolean().default(false).describe("Upload a certificate that has already expired (otherwise `check` refuses it)."),
  adopt: z.boolean().default(false).describe("Take over a certificate file that already exists instead of failing with 'already exists'."),
  connection: ResourceConnectionSchema.optional(),
});

export type CertificateInputs = z.input<typeof CertificateInputsSchema>;
type Desired = z.output<typeof CertificateInputsSchema>;

/** What the certificate says, read with node:crypto. */
export interface CertificateFacts {
  subject: string;
  sans: string[];
  issuer: string;
  notBefore: string;
  notAfter: string;
  fingerprintSha256: string;
  /** Decimal, as DPAPI v3 reports it. */
  serialNumber: string;
}

export type CertificateState = Omit<Desired, "privateKey"> & CertificateFacts & {
  /** SHA-256 (hex) of the private key PEM: the key itself is not kept. */
  privateKeySha256: string;
  /** Absolute path of the file, for `bind ... ssl crt <path>`. */
  path: string;
  /** Bytes of the stored PEM: refresh compares it with DPAPI's to notice a file replaced outside Pulumi. */
  storedSize: number;
  stateVersion: number;
};

const INPUT_KEYS = ["name", "certificate", "chain", "privateKey", "allowExpired", "adopt", "connection"] as const;
const OUTPUT_KEYS = ["privateKeySha256", "path", "subject", "sans", "issuer", "notBefore", "notAfter", "fingerprintSha256", "serialNumber", "storedSize", "stateVersion"];

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle, each parsed by node:crypto. */
function certificatesIn(pem: string): X509Certificate[] {
  return (pem.match(PEM_CERT) ?? []).map((block) => new X509Certificate(block));
}

const iso = (date: string) => new Date(date).toISOString();
const dn = (name: string) => name.split("\n").filter(Boolean).join(", ");

export function factsOf(cert: X509Certificate): CertificateFacts {
  return {
    subject: dn(cert.subject),
    sans: cert.subjectAltName ? cert.subjectAltName.split(", ") : [],
    issuer: dn(cert.issuer),
    notBefore: iso(cert.validFrom),
    notAfter: iso(cert.validTo),
    fingerprintSha256: cert.fingerprint256,
    serialNumber: BigInt(`0x${cert.serialNumber}`).toString(10),
  };
}

/** Why this PEM material must not be uploaded; never quotes the key. */
export function pemFailures(d: Pick<Desired, "certificate" | "chain" | "privateKey" | "allowExpired">, now = new Date()): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason: `Certificate: ${property}: ${reason}` });
  let leaf: X509Certificate | undefined;
  if (d.certificate !== UNKNOWN) {
    try {
      leaf = certificatesIn(d.certificate)[0];
      if (!leaf) fail("certificate", "is not a PEM certificate (no -----BEGIN CERTIFICATE----- block)");
    } catch (e) {
      fail("certificate", `does not parse as a PEM X.509 certificate (${(e as Error).message})`);
    }
  }
  let chain: X509Certificate[] = [];
  if (d.chain !== undefined && d.chain !== UNKNOWN) {
    try {
      chain = certificatesIn(d.chain);
      if (chain.length === 0) fail("chain", "is not a PEM certificate bundle");
    } catch (e) {
      fail("chain", `does not parse as PEM X.509 certificates (${(e as Error).message})`);
    }
  }
  // Clients build the path leaf → chain[0] → …: a chain that does not start with the leaf's issuer fails them all.
  if (leaf && chain[0] && !(leaf.checkIssued(chain[0]) && leaf.verify(chain[0].publicKey))) {
    fail("chain", `must start with the certificate that signed "${dn(leaf.subject)}" (issuer "${dn(leaf.issuer)}"), but starts with "${dn(chain[0].subject)}"`);
  }
  let key: KeyObject | undefined;
  if (d.privateKey !== UNKNOWN) {
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(d.privateKey)) {
      fail("privateKey", "is not a PEM private key");
    } else if (/ENCRYPTED/.test(d.privateKey)) {
      fail("privateKey", "is encrypted; HAProxy needs an unencrypted key");
    } else {
      try {
        key = createPrivateKey({ key: d.privateKey, format: "pem" });
      } catch (e) {
        fail("privateKey", `does not parse as a PEM private key (${(e as Error).message.split("\n")[0]})`);
      }
    }
  }
  if (leaf && key && !leaf.checkPrivateKey(key)) {
    fail("privateKey", `does not match the certificate (its public key is not the one in "${dn(leaf.subject)}")`);
  }
  if (leaf && !d.allowExpired && new Date(leaf.validTo) <= now) {
    fail("certificate", `expired on ${iso(leaf.validTo)} ("${dn(leaf.subject)}"); renew it, or set allowExpired: true to upload it anyway`);
  }
  return failures;
}

const withNewline = (pem: string) => (pem.endsWith("\n") ? pem : `${pem}\n`);

/** The file HAProxy reads: certificate, chain, key. */
export function combinedPem(d: Pick<Desired, "certificate" | "chain" | "privateKey">): string {
  return [d.certificate, d.chain, d.privateKey].filter((p): p is string => !!p).map(withNewline).join("");
}

function desired(inputs: Record<string, unknown>): Desired {
  const rest = Object.fromEntries(Object.entries(withoutProvider(inputs)).filter(([k]) => !OUTPUT_KEYS.includes(k)));
  return CertificateInputsSchema.parse(rest);
}

export const keyDigest = (pem: string) => createHash("sha256").update(pem).digest("hex");

function state(d: Desired, path: string): CertificateState {
  const leaf = certificatesIn(d.certificate)[0];
  const { privateKey, ...rest } = d;
  return { ...rest, privateKeySha256: keyDigest(privateKey), ...factsOf(leaf), path, storedSize: Buffer.byteLength(combinedPem(d)), stateVersion: STATE_VERSION };
}

/** The key of a state as its digest (states written before the digest kept the key itself). */
const digestOfState = (olds: Record<string, unknown>) =>
  typeof olds.privateKeySha256 === "string" ? olds.privateKeySha256 : typeof olds.privateKey === "string" ? keyDigest(olds.privateKey) : undefined;

/** Inputs with the key as its digest, so that old state and new inputs compare. */
const withKeyDigest = (v: Record<string, unknown>, digest: string | undefined) => ({ ...v, privateKey: digest });

export async function check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<CheckResult<Record<string, unknown>>> {
  const result = checkInputs("Certificate", CertificateInputsSchema, news);
  if (result.failures) return result;
  // The stored file's path becomes an input too, as for MapFile: the engine previews an update with its inputs,
  // so a bind that uses `path` stays known while the certificate rotates, and its Frontend shows no change.
  if (result.inputs && olds.name === news.name && typeof olds.path === "string") result.inputs = { ...result.inputs, path: olds.path };
  // A value still unknown at preview (or one with unknowns inside) is checked at `up`, when it is known.
  const pem = (v: unknown) => (typeof v === "string" ? v : UNKNOWN);
  const failures = pemFailures({
    certificate: pem(news.certificate), chain: news.chain === undefined ? undefined : pem(news.chain),
    // An allowExpired still unknown during preview is given the benefit of the doubt; `up` checks again.
    privateKey: pem(news.privateKey), allowExpired: news.allowExpired === true || news.allowExpired === UNKNOWN,
  });
  return failures.length ? { failures } : result;
}

export async function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<DiffResult> {
  const newKey = typeof news.privateKey === "string" && news.privateKey !== UNKNOWN ? keyDigest(news.privateKey) : news.privateKey as string | undefined;
  return diffInputs(INPUT_KEYS, ["name"], withKeyDigest(olds, digestOfState(olds)), withKeyDigest(withoutProvider(news), newKey));
}

async function pathOf(client: DataplaneClient, name: string, uploaded?: SslCertificate): Promise<string> {
  const path = uploaded?.file ?? (await client.getCertificate(name))?.file;
  if (!path) throw new DpapiError({ code: "DPAPI_BAD_RESPONSE", message: `DPAPI stored Certificate "${name}" but does not report its path` });
  return path;
}

export async function create(inputs: Record<string, unknown>) {
  const d = desired(inputs);
  const client = await clientFor(d.connection);
  const pem = combinedPem(d);
  try {
    const uploaded = await client.uploadCertificate(d.name, pem);
    return { id: d.name, outs: state(d, await pathOf(client, d.name, uploaded)) };
  } catch (e) {
    if (!isDpapiError(e, "DPAPI_EXISTS")) throw e;
    if (!d.adopt) {
      throw new DpapiError({ code: "DPAPI_EXISTS", message: `Certificate "${d.name}" already exists in DPAPI SSL storage`,
        hint: "set `adopt: true` on this Certificate to take it over (it is replaced by the one in your program), or choose another name" });
    }
    await client.replaceCertificate(d.name, pem);
    return { id: d.name, outs: state(d, await pathOf(client, d.name)) };
  }
}

/** Differences between what DPAPI reports and what was uploaded, e.g. "serial 12 → 34". */
function drift(live: SslCertificate, old: CertificateState): string[] {
  const found: string[] = [];
  const notAfter = live.not_after ? iso(live.not_after) : undefined;
  if (notAfter && notAfter !== old.notAfter) found.push(`notAfter ${old.notAfter} → ${notAfter}`);
  if (live.serial && old.serialNumber && live.serial !== old.serialNumber) found.push(`serial ${old.serialNumber} → ${live.serial}`);
  if (typeof live.size === "number" && old.storedSize && live.size !== old.storedSize) found.push(`size ${old.storedSize} → ${live.size} bytes`);
  return found;
}

export async function read(id: string, props: Record<string, unknown>) {
  const conn = ResourceConnectionSchema.optional().parse(props.connection);
  const client = await clientFor(conn);
  const live = await client.getCertificate(id);
  if (!live) return {};
  const { privateKey: _key, ...old } = withoutProvider(props) as unknown as CertificateState & { privateKey?: string };
  const changes = drift(live, old);
  if (changes.length === 0) return { id, props: old, inputs: pickInputs(old) };
  // The PEM cannot be read back: the certificate input becomes a note, so the next `up` uploads it again.
  const observed = {
    ...old,
    certificate: `(replaced outside Pulumi: ${changes.join(", ")})`,
    notBefore: live.not_before ? iso(live.not_before) : old.notBefore,
    notAfter: live.not_after ? iso(live.not_after) : old.notAfter,
    storedSize: live.size ?? old.storedSize,
    ...(live.serial ? { serialNumber: live.serial } : {}),
  };
  return { id, props: observed, inputs: pickInputs(observed as unknown as CertificateState) };
}

/** The inputs a state records; the key is not among them (refresh cannot read it back, and `up` compares digests). */
function pickInputs(s: CertificateState): Record<string, unknown> {
  const r = s as unknown as Record<string, unknown>;
  return Object.fromEntries(INPUT_KEYS.filter((k) => r[k] !== undefined).map((k) => [k, r[k]]));
}

export async function update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
  const d = desired(news);
  const client = await clientFor(d.connection);
  const pem = combinedPem(d);
  const unchanged = olds.certificate === d.certificate && olds.chain === d.chain && digestOfState(olds) === keyDigest(d.privateKey);
  if (unchanged) return { outs: state(d, await pathOf(client, id)) };
  try {
    await client.replaceCertificate(id, pem);
  } catch (e) {
    if (isDpapiError(e, "DPAPI_NOT_FOUND")) {
      throw new DpapiError({ code: "DPAPI_NOT_FOUND", message: `Certificate "${id}" no longer exists in DPAPI SSL storage`,
        hint: "run `pulumi refresh` so Pulumi forgets it, then `pulumi up` recreates it" });
    }
    throw e;
  }
  return { outs: state(d, await pathOf(client, id)) };
}

export async function remove(id: string, props: Record<string, unknown>): Promise<void> {
  const conn = ResourceConnectionSchema.optional().parse(props.connection);
  const client = await clientFor(conn);
  await removeObject(`Certificate "${id}"`, () => client.deleteCertificate(id),
    "remove the `crt` reference (the bind that serves it) from haproxy.cfg first, then delete the Certificate");
}
