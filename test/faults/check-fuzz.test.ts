// Bad input, thrown at every resource's `check` by the thousand (fast-check): unicode and huge strings,
// negative and fractional numbers, wrong types, unknown keys, values still unknown at preview. check never
// throws, sends no request to the Data Plane API (its access log stays as it was), and every failure names
// the resource and a real field.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import type { z } from "zod";
import { startBench, sleep, type Bench } from "../bench/bench";
import { describeWith } from "../support/requires";
import { UNKNOWN } from "../../provider/resources/common";
import * as backend from "../../provider/resources/backend";
import * as server from "../../provider/resources/server";
import * as mapFile from "../../provider/resources/map-file";
import * as certificate from "../../provider/resources/certificate";
import * as consul from "../../provider/resources/consul-discovery";
import * as frontend from "../../provider/resources/frontend";
import * as generalFile from "../../provider/resources/general-file";
import * as spoeFile from "../../provider/resources/spoe-file";

/** A valid input of each kind: one field at a time is then replaced by junk, so failures come from deep inside too. */
const VALID: Record<string, Record<string, unknown>> = {
  Backend: { name: "be1", balance: { algorithm: "roundrobin" }, servers: [{ name: "s1", address: "127.0.0.1", port: 8080 }] },
  Server: { backend: "be1", name: "s1", address: "127.0.0.1", port: 8080, weight: 10 },
  MapFile: { name: "hosts.map", entries: { "a.example.com": "be1" } },
  Certificate: { name: "site.pem", certificate: "-----BEGIN CERTIFICATE-----", privateKey: "-----BEGIN PRIVATE KEY-----" },
  ConsulDiscovery: { address: "127.0.0.1", port: 8500, serviceAllowlist: ["web"] },
  Frontend: { name: "fe", binds: [{ address: "127.0.0.1", port: 8080 }], acls: [{ name: "a", criterion: "path_beg", value: "/" }],
    routes: [{ backend: "be1", if: "a" }, { split: [{ backend: "be1", weight: 1 }, { backend: "be2", weight: 1 }] }],
    filters: [{ type: "spoe", engine: "auth", config: "/tmp/auth.conf" }] },
  GeneralFile: { name: "503.http", contents: "<h1>back soon</h1>" },
  SpoeFile: { name: "auth.conf", contents: "[auth]\nspoe-agent a\n  messages m\n  use-backend spoa\nspoe-message m\n  args path=path\n  event on-frontend-http-request\n" },
};

type Check = (olds: Record<string, unknown>, news: Record<string, unknown>) => Promise<{ failures?: Array<{ property: string; reason: string }> }>;
const KINDS: Array<[string, z.ZodObject, Check]> = [
  ["Backend", backend.BackendInputsSchema as unknown as z.ZodObject, backend.check],
  ["Server", server.ServerInputsSchema as unknown as z.ZodObject, server.check],
  ["MapFile", mapFile.MapFileInputsSchema as unknown as z.ZodObject, mapFile.check],
  ["Certificate", certificate.CertificateInputsSchema as unknown as z.ZodObject, certificate.check],
  ["ConsulDiscovery", consul.ConsulDiscoveryInputsSchema as unknown as z.ZodObject, consul.check],
  ["Frontend", frontend.FrontendInputsSchema as unknown as z.ZodObject, frontend.check],
  ["GeneralFile", generalFile.GeneralFileInputsSchema as unknown as z.ZodObject, generalFile.check],
  ["SpoeFile", spoeFile.SpoeFileInputsSchema as unknown as z.ZodObject, spoeFile.check],
];
const RUNS = 500;

/** Values a careless or hostile program could pass. */
const junk: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.string({ minLength: 5000, maxLength: 20000 }),
    fc.constantFrom("", " ", "a b", "名前", "\u0000", "../../etc/passwd", "%[", UNKNOWN, "0.0.0.0", "-1"),
    fc.integer(), fc.double(), fc.constantFrom(-1, 0, 0.5, 65536, 1e21, Number.MAX_SAFE_INTEGER + 2),
    fc.boolean(), fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie("value"), { maxKeys: 4 }),
  ),
})).value;

describeWith(["v3"], "check under random bad input", () => {
  let bench: Bench;
  beforeAll(async () => { bench = await startBench({ dataplane: "v3" }); });
  afterAll(async () => { await bench?.stop(); });

  test.each(KINDS)("%s: never throws, never sends a request, every failure names the resource and a field", async (kind, schema, check) => {
    const dp = bench.dataplane!;
    const keys = Object.keys(schema.shape);
    const connection = { url: dp.url, username: dp.username, password: dp.password };
    // Inputs with the schema's own keys (and some that are not), each given junk; a real connection half of the time,
    // so that a request, if check made one, would reach the bench.
    const valid = VALID[kind];
    /** The valid input with one value, at any depth, replaced by junk. */
    const mutated = (v: unknown, j: unknown, at: number): unknown => {
      if (at === 0 || v === null || typeof v !== "object") return j;
      const entries = Object.entries(v as object);
      if (entries.length === 0) return j;
      const [k, x] = entries[at % entries.length];
      const next = mutated(x, j, Math.floor(at / (entries.length + 1)));
      return Array.isArray(v) ? Object.assign([...v], { [k]: next }) : { ...(v as object), [k]: next };
    };
    const random = fc.dictionary(fc.constantFrom(...keys, "bogus", "__proto__x"), junk, { maxKeys: 8 });
    const nearlyValid = fc.tuple(junk, fc.integer({ min: 1, max: 400 })).map(([j, at]) => mutated(valid, j, at) as Record<string, unknown>);
    const inputs = fc.tuple(fc.oneof(random, nearlyValid), fc.boolean())
      .map(([v, withConnection]) => (withConnection ? { ...v, connection } : v));
    const wellFormed = (result: Awaited<ReturnType<Check>>) => {
      for (const f of result.failures ?? []) {
        expect(f.reason.startsWith(kind)).toBe(true);
        const field = f.property.split(/[.[]/)[0];
        expect(field === "(inputs)" || keys.includes(field)).toBe(true);
      }
    };
    // Known bad input: refused, naming the field, before any request.
    const logBefore = readFileSync(dp.logPath, "utf8").length;
    let refused = 0;
    await fc.assert(fc.asyncProperty(inputs.filter((v) => !JSON.stringify(v).includes(UNKNOWN) && !schema.safeParse(v).success), async (news) => {
      const result = await check({}, news);
      if (result.failures?.length) refused++;
      wellFormed(result);
    }), { numRuns: RUNS });
    // Nearly all are refused; the rest are other spellings check accepts (e.g. servers keyed by name, as state has them).
    expect(refused).toBeGreaterThan(RUNS * 0.9);
    await sleep(300);
    expect(readFileSync(dp.logPath, "utf8").slice(logBefore)).toBe("");
    // Anything, values still unknown (a preview) included, with the connection given (check may then ask HAProxy):
    // never throws, and what it refuses names a field.
    await fc.assert(fc.asyncProperty(inputs, async (news) => { wellFormed(await check({}, { ...news, connection })); }), { numRuns: RUNS });
  });
});
