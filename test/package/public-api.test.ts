// Breaking-change guard: the type tokens and the input names of every resource
// are public API (state refers to the tokens, programs and state to the input
// names), so they must match the committed list in public-api.json. The live
// list is derived from the code on each run:
//   - the resource classes are the SDK's exports that extend pulumi.dynamic.Resource;
//   - each token is what the class registers with Pulumi (through mocks, no engine);
//   - the top-level inputs, with whether each is optional, come from the SDK's
//     `<Resource>Args` type, read with the TypeScript compiler (what users write);
//   - the nested input names come from the provider's zod input schema,
//     `<Resource>InputsSchema` in provider/resources/<kebab-name>.ts (what check
//     accepts and state stores), down to the DPAPI's own models (`extra`, a rule's
//     `rule`), whose field names are the DPAPI's and are checked by the spec test.
//
// A deliberate rename, addition or removal: regenerate the list with
//   UPDATE_PUBLIC_API=1 npx jest --ci test/package/public-api.test.ts
// and write the change in CHANGELOG.md (a rename or removal is a breaking change).
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as ts from "typescript";
import type { z } from "zod";

const ROOT = path.resolve(__dirname, "../..");
const LIST = path.join(__dirname, "public-api.json");
const TOKEN_PREFIX = "pulumi-nodejs:dynamic/haproxy:";

interface ResourceApi {
  /** The Pulumi type token. */
  token: string;
  /** Top-level inputs of the SDK's Args type; `?` marks an optional one. */
  args: string[];
  /** Every input name the zod schema accepts, as paths: `a.b`, `list[].c`, `record{}.d`. */
  inputs: string[];
}
type PublicApi = Record<string, ResourceApi>;

const registered = new Map<string, string>();
pulumi.runtime.setMocks({
  newResource: (args) => { registered.set(args.name, args.type); return { id: `${args.name}-id`, state: args.inputs }; },
  call: () => ({}),
});
// Loaded after setMocks, as Pulumi requires.
const sdk = require("../../sdk/index") as Record<string, unknown>;

type ResourceClass = (new (name: string, args: unknown) => pulumi.CustomResource) & { __pulumiType?: string };
const resourceClasses = (): Array<[string, ResourceClass]> =>
  Object.entries(sdk)
    .filter((e): e is [string, ResourceClass] => typeof e[1] === "function" && e[1].prototype instanceof pulumi.dynamic.Resource)
    .sort(([a], [b]) => a.localeCompare(b));

const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();

/** Input paths of a zod schema; recursion stops at loose objects (DPAPI models, whose names are the DPAPI's). */
function inputPaths(schema: z.ZodType, prefix: string, out: Set<string>): void {
  const def = (schema as unknown as { def: Record<string, unknown> & { type: string } }).def;
  switch (def.type) {
    case "object": {
      const catchall = (def.catchall as { def?: { type: string } } | undefined)?.def?.type;
      if (prefix && catchall === "unknown") return;
      for (const [key, field] of Object.entries(def.shape as Record<string, z.ZodType>)) {
        const p = prefix ? `${prefix}.${key}` : key;
        out.add(p);
        inputPaths(field, p, out);
      }
      return;
    }
    case "optional": case "nullable": case "nonoptional": case "default": case "prefault": case "readonly": case "catch":
      return inputPaths(def.innerType as z.ZodType, prefix, out);
    case "array":
      return inputPaths(def.element as z.ZodType, `${prefix}[]`, out);
    case "record":
      return inputPaths(def.valueType as z.ZodType, `${prefix}{}`, out);
    case "union":
      for (const option of def.options as z.ZodType[]) inputPaths(option, prefix, out);
      return;
    case "pipe":
      return inputPaths(def.in as z.ZodType, prefix, out);
    default:
      return; // a leaf: string, number, boolean, enum, literal, ...
  }
}

/** The properties of each exported `<X>Args` type of the SDK entry point, `?` marking optional ones. */
function sdkArgs(): Map<string, string[]> {
  const entry = path.join(ROOT, "sdk/index.ts");
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, "tsconfig.json"), {}, {
    ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n")); },
  });
  if (!parsed) throw new Error("cannot read tsconfig.json");
  const program = ts.createProgram([entry], { ...parsed.options, noEmit: true });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const result = new Map<string, string[]>();
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    if (!exported.name.endsWith("Args")) continue;
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    const names = checker.getPropertiesOfType(type)
      .map((p) => (p.flags & ts.SymbolFlags.Optional ? `${p.name}?` : p.name))
      .sort();
    result.set(exported.name, names);
  }
  return result;
}

async function livePublicApi(): Promise<PublicApi> {
  const classes = resourceClasses();
  const args = sdkArgs();
  const api: PublicApi = {};
  const urns: Array<pulumi.Output<string>> = [];
  for (const [name, Class] of classes) urns.push(new Class(`guard-${name}`, {}).urn);
  await new Promise<void>((resolve) => pulumi.all(urns).apply(() => resolve()));
  for (const [name, Class] of classes) {
    const file = path.join(ROOT, "provider/resources", `${kebab(name)}.ts`);
    const schema = (require(file) as Record<string, unknown>)[`${name}InputsSchema`] as z.ZodType | undefined;
    if (!schema) throw new Error(`${name}: no ${name}InputsSchema exported by ${path.relative(ROOT, file)}`);
    const paths = new Set<string>();
    inputPaths(schema, "", paths);
    const sdkArgNames = args.get(`${name}Args`);
    if (!sdkArgNames) throw new Error(`${name}: the SDK exports no ${name}Args`);
    api[name] = { token: registered.get(`guard-${name}`) ?? "(not registered)", args: sdkArgNames, inputs: [...paths].sort() };
    expect({ resource: name, staticToken: Class.__pulumiType }).toEqual({ resource: name, staticToken: api[name].token });
  }
  return api;
}

let live: PublicApi;
beforeAll(async () => { live = await livePublicApi(); }, 120_000);

test("type tokens and input names match test/package/public-api.json", () => {
  if (process.env.UPDATE_PUBLIC_API === "1") {
    fs.writeFileSync(LIST, `${JSON.stringify(live, null, 2)}\n`);
    console.log(`UPDATE_PUBLIC_API=1: wrote ${path.relative(ROOT, LIST)}; record the change in CHANGELOG.md`);
  }
  const committed = JSON.parse(fs.readFileSync(LIST, "utf8")) as PublicApi;
  // On failure: a token or an input was renamed, added or removed. If that is intended, regenerate the
  // list (see the top of this file) and say so in CHANGELOG.md; a rename or removal breaks users' programs
  // and state.
  expect(live).toEqual(committed);
});

test("every token is pulumi-nodejs:dynamic/haproxy:<class name>, and the SDK's Args match the provider's schema", () => {
  expect(Object.keys(live).length).toBeGreaterThan(0);
  for (const [name, r] of Object.entries(live)) {
    expect({ name, token: r.token }).toEqual({ name, token: `${TOKEN_PREFIX}${name}` });
    // What a program passes is what check accepts: the SDK's top-level inputs are the schema's.
    const topLevel = r.inputs.filter((p) => !/[.[{]/.test(p)).sort();
    expect({ name, args: r.args.map((a) => a.replace(/\?$/, "")).sort() }).toEqual({ name, args: topLevel });
  }
});
