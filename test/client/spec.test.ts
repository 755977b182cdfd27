// Every field our schemas send or read exists in the DPAPI specifications
// (v2.9, v3.0, v3.4) with a compatible type, and our enums are within theirs.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { load } from "js-yaml";
import type { z } from "zod";
import * as S from "../../provider/client/schemas";

/** The reference folder sits beside the checkout; a clone (CI) finds it beside the repository it was cloned from. */
function findReferenceDir(): string {
  const repo = resolve(__dirname, "..", "..");
  const candidates = [process.env.DPAPI_REFERENCE_DIR, resolve(repo, "..", "shared", "reference")];
  try {
    const origin = execFileSync("git", ["-C", repo, "config", "--get", "remote.origin.url"], { encoding: "utf8" }).trim();
    if (origin.startsWith("/")) candidates.push(resolve(origin, "..", "shared", "reference"));
  } catch { /* not a clone */ }
  return candidates.find((c): c is string => !!c && existsSync(c)) ?? resolve(repo, "..", "shared", "reference");
}
const referenceDir = findReferenceDir();
const specs = {
  "v2.9": "dpapi-v2.9-spec.yaml",
  "v3.0": "dpapi-v3.0-spec.yaml",
  "v3.4": "dpapi-v3.4-openapi3.yaml",
} as const;

type SpecSchema = { type?: string; enum?: unknown[]; properties?: Record<string, SpecSchema>; allOf?: SpecSchema[]; $ref?: string; items?: SpecSchema };

/** Our schema → the spec definition it mirrors (v3 splits backend into backend_base). */
const mirrors: Array<[string, z.ZodType, { v2: string; v3: string }]> = [
  ["backend", S.BackendSchema, { v2: "backend", v3: "backend_base" }],
  ["balance", S.BalanceSchema, { v2: "balance", v3: "balance" }],
  ["httpchk_params", S.HttpchkParamsSchema, { v2: "httpchk_params", v3: "httpchk_params" }],
  ["cookie", S.CookieSchema, { v2: "cookie", v3: "cookie" }],
  ["forwardfor", S.ForwardforSchema, { v2: "forwardfor", v3: "forwardfor" }],
  ["server_params", S.ServerParamsSchema, { v2: "server_params", v3: "server_params" }],
  ["server", S.ServerSchema, { v2: "server", v3: "server" }],
  ["runtime_server", S.RuntimeServerSchema, { v2: "runtime_server", v3: "runtime_server" }],
  ["map", S.MapFileSchema, { v2: "map", v3: "map" }],
  ["map_entry", S.MapEntrySchema, { v2: "map_entry", v3: "map_entry" }],
  ["ssl_certificate", S.SslCertificateSchema, { v2: "ssl_certificate", v3: "ssl_certificate" }],
  ["consul", S.ConsulSchema, { v2: "consul", v3: "consul" }],
  ["transaction", S.TransactionSchema, { v2: "transaction", v3: "transaction" }],
  ["reload", S.ReloadSchema, { v2: "reload", v3: "reload" }],
  ["error", S.ErrorSchema, { v2: "error", v3: "error" }],
];

/** Fields a specification lacks although the real program has them (pinned elsewhere). */
const knownAbsent: Record<string, string[]> = {};

function definitions(doc: Record<string, any>): Record<string, SpecSchema> {
  return doc.definitions ?? doc.components?.schemas ?? {};
}

function resolveRef(defs: Record<string, SpecSchema>, s: SpecSchema): SpecSchema {
  if (!s.$ref) return s;
  return defs[s.$ref.split("/").pop()!] ?? {};
}

function propertiesOf(defs: Record<string, SpecSchema>, s: SpecSchema): Record<string, SpecSchema> {
  const r = resolveRef(defs, s);
  let props: Record<string, SpecSchema> = { ...(r.properties ?? {}) };
  for (const part of r.allOf ?? []) props = { ...props, ...propertiesOf(defs, part) };
  return props;
}

function unwrap(t: z.ZodType): z.ZodType {
  let cur: any = t;
  while (["optional", "nullable", "default", "readonly"].includes(cur._zod.def.type)) cur = cur._zod.def.innerType;
  return cur;
}

function wireType(t: z.ZodType): { kind: string; values?: unknown[] } {
  const u: any = unwrap(t);
  const kind = u._zod.def.type;
  if (kind === "enum") return { kind: "string", values: Object.values(u._zod.def.entries) };
  if (kind === "literal") return { kind: typeof u._zod.def.values[0], values: u._zod.def.values };
  return { kind };
}

const compatible: Record<string, string[]> = {
  string: ["string"], number: ["integer", "number"], boolean: ["boolean"], array: ["array"], object: ["object", undefined as unknown as string],
};

const present = existsSync(referenceDir);
(present ? describe : describe.skip)(`schemas agree with the DPAPI specifications${present ? "" : ` [skipped: ${referenceDir} is absent]`}`, () => {
  for (const [version, file] of Object.entries(specs)) {
    const gen = version.startsWith("v2") ? "v2" : "v3";
    test.each(mirrors.map(([n, schema, defs]) => [n, schema, defs[gen]] as const))(`${version}: %s`, (_name, schema, defName) => {
      const defs = definitions(load(readFileSync(join(referenceDir, file), "utf8")) as Record<string, any>);
      expect(defs[defName]).toBeDefined();
      const props = propertiesOf(defs, { $ref: `#/x/${defName}` });
      const problems: string[] = [];
      for (const [field, fieldSchema] of Object.entries((schema as any).shape as Record<string, z.ZodType>)) {
        const spec = props[field] ? resolveRef(defs, props[field]) : undefined;
        if (!spec) {
          if (!(knownAbsent[`${version}:${defName}`] ?? []).includes(field)) problems.push(`${field}: not in the spec`);
          continue;
        }
        const ours = wireType(fieldSchema);
        const theirs = spec.type ?? (spec.properties || spec.allOf ? "object" : undefined);
        if (!(compatible[ours.kind] ?? [ours.kind]).includes(theirs as string)) problems.push(`${field}: ours ${ours.kind}, spec ${theirs}`);
        if (ours.values && spec.enum) {
          const extra = ours.values.filter((v) => !spec.enum!.includes(v));
          if (extra.length) problems.push(`${field}: values ${extra.join(", ")} not in the spec's enum`);
        }
      }
      expect(problems).toEqual([]);
    });
  }
});
