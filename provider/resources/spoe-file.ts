// The life of a SpoeFile: an SPOE configuration in DPAPI's SPOE storage, which a
// Frontend's `filter spoe` names by path. It tells HAProxy which agent to send
// which messages to (scopes, spoe-agent, spoe-message, spoe-group sections).
//
// - HAProxy reads it only when it loads its configuration: a change to a file
//   haproxy.cfg names reloads HAProxy, a change to one it does not name does not.
// - Preview asks HAProxy whether it would load the file: DPAPI stores it under a
//   scratch name, a scratch frontend uses it in a transaction that is validated
//   and deleted, and the scratch file goes. HAProxy's message names this file.
// - DPAPI renders the file from its parser on GET (not byte for byte), so drift
//   is what differs from the rendering DPAPI gave right after our write.
import { createHash } from "node:crypto";
import { z } from "zod";
import { DpapiError, isDpapiError, NAME_PATTERN, type DataplaneClient } from "../client";
import { clientFor } from "../connection";
import { STORED_NAME, STORED_NAME_RULE } from "./general-file";
import {
  STATE_VERSION, ResourceConnectionSchema, UNKNOWN, checkInputs, diffInputs, withoutProvider, removeObject,
  type CheckFailure, type CheckResult, type DiffResult,
} from "./common";

/** The parts of an SPOE file HAProxy's check needs: its scopes and the backends its agents use. */
export function outlineOf(contents: string): { scopes: string[]; agents: string[]; backends: string[]; beforeFirstScope: number[] } {
  const scopes: string[] = [];
  const agents: string[] = [];
  const backends: string[] = [];
  const beforeFirstScope: number[] = [];
  contents.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (!line) return;
    const scope = /^\[([^\]]*)\]$/.exec(line);
    if (scope) { scopes.push(scope[1].trim()); return; }
    if (scopes.length === 0) beforeFirstScope.push(i + 1);
    const [kw, arg] = line.split(/\s+/);
    if (kw === "spoe-agent" && arg) agents.push(arg);
    if (kw === "use-backend" && arg) backends.push(arg);
  });
  return { scopes, agents, backends, beforeFirstScope };
}

export const SpoeFileInputsSchema = z.strictObject({
  name: z.string().regex(STORED_NAME, STORED_NAME_RULE).describe("File name in DPAPI SPOE storage, e.g. auth.conf. Changing it replaces the file."),
  contents: z.string().describe("The SPOE configuration: `[scope]` lines, then spoe-agent, spoe-message and spoe-group sections."),
  validate: z.boolean().default(true).describe("Ask HAProxy to check the file during preview (needs the Data Plane API reachable at preview)."),
  adopt: z.boolean().default(false).describe("Take over an SPOE file of this name that already exists instead of failing with 'already exists'."),
  connection: ResourceConnectionSchema.optional(),
}).superRefine((v, ctx) => {
  if (v.contents === UNKNOWN) return;
  const o = outlineOf(v.contents);
  if (o.agents.length === 0) ctx.addIssue({ code: "custom", path: ["contents"], message: "declares no `spoe-agent` section; HAProxy needs one to send messages" });
  const emptyScope = o.scopes.findIndex((s) => !/^[^\s\]]+$/.test(s));
  if (emptyScope >= 0) ctx.addIssue({ code: "custom", path: ["contents"], message: `scope ${JSON.stringify(`[${o.scopes[emptyScope]}]`)} must be one word (it is the engine a filter names)` });
  if (o.scopes.length > 0 && o.beforeFirstScope.length > 0) {
    ctx.addIssue({ code: "custom", path: ["contents"], message: `line ${o.beforeFirstScope[0]} comes before the first [scope]; in a file with scopes, every section belongs to one` });
  }
  for (const b of o.backends) if (!NAME_PATTERN.test(b)) ctx.addIssue({ code: "custom", path: ["contents"], message: `use-backend ${JSON.stringify(b)} is not a backend name (letters, digits and - _ . : only)` });
});

export type SpoeFileInputs = z.input<typeof SpoeFileInputsSchema>;
type Desired = z.output<typeof SpoeFileInputsSchema>;
export type SpoeFileState = Desired & {
  /** Absolute path of the stored file, for `filter spoe ... config <path>`. */
  path: string;
  /** Digest of the file as DPAPI rendered it after our last write: what refresh compares with. */
  renderedDigest: string;
  stateVersion: number;
};

const INPUT_KEYS = ["name", "contents", "validate", "adopt", "connection"] as const;
const label = (name: string) => `SpoeFile "${name}"`;

/** DPAPI's rendering without its version line and layout, for comparing two renderings. */
const normalized = (text: string) => text.split(/\r?\n/).filter((l) => !/^#\s*_version=\d+\s*$/.test(l.trim())).map((l) => l.trim()).filter(Boolean).join("\n");
const digestOf = (text: string) => createHash("sha256").update(normalized(text)).digest("hex");

function desired(inputs: Record<string, unknown>): Desired {
  const { path: _path, renderedDigest: _r, stateVersion: _v, ...rest } = withoutProvider(inputs);
  return SpoeFileInputsSchema.parse(rest);
}

async function pathOf(client: DataplaneClient, name: string): Promise<string | undefined> {
  return (await client.listSpoeFiles()).find((p) => p.split("/").pop() === name);
}

async function stateAfterWrite(client: DataplaneClient, d: Desired, path: string): Promise<SpoeFileState> {
  const rendered = (await client.getSpoeFile(d.name)) ?? "";
  return { ...d, path, renderedDigest: digestOf(rendered), stateVersion: STATE_VERSION };
}

/**
 * HAProxy's message about the scratch copy, told about this file: its name instead of the scratch path, and line
 * numbers of the declared contents (DPAPI puts a `# _version=1` line on top of a file that has none).
 */
export function aboutThisFile(message: string, name: string, contents: string): string {
  const shift = /^\s*#\s*_version=/m.test(contents) ? 0 : 1;
  return message.replace(/^validation error: exit status \d+:\s*/, "").split("\n")
    .map((l) => l.trim().replace(/^msg="(.*)"$/, "$1").replace(/^config\s+/, "")
      // The scratch frontend's line: what matters is HAProxy's complaint about the file it names.
      .replace(/^parsing \[[^\]]*onlyvalidate[^\]]*\] 'filter' '(.*)'$/, "$1")
      .replace(/[^\s\[]*pulumi-check-[0-9a-f]{12}\.conf(?::(\d+))?/g, (_m, line: string | undefined) => (line ? `${name}:${Number(line) - shift}` : name))
      .replace(/^parsing \[([^\]]+)\]\s*/, "$1: "))
    .filter((l) => l && !/Fatal errors found|Error\(s\) found in configuration file|^Error\(s\) found in/i.test(l) && !/pulumi_spoe_check/.test(l))
    .join("; ");
}

async function validateWithHaproxy(d: Desired): Promise<CheckFailure[]> {
  const client = await clientFor(d.connection);
  const o = outlineOf(d.contents);
  const existing = new Set((await client.listBackends()).map((b) => b.name));
  // Backends the same update creates (the agents' pool) do not exist yet: empty TCP ones stand in.
  const missing = [...new Set(o.backends)].filter((b) => !existing.has(b));
  const engines = o.scopes.length ? o.scopes : [undefined];
  const result = await client.validateSpoeFile(d.contents, engines, missing);
  if (result.ok) return [];
  if (/^\s*validation error: exit status \d+\s*$/.test(result.message)) {
    return [{ property: "contents", reason: `${label(d.name)}: contents: HAProxy rejected it (this Data Plane API does not pass on HAProxy's message; DPAPI 3.x does)` }];
  }
  return [{ property: "contents", reason: `${label(d.name)}: contents: HAProxy rejected it: ${aboutThisFile(result.message, d.name, d.contents)}` }];
}

export async function check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<CheckResult<Record<string, unknown>>> {
  const result = checkInputs("SpoeFile", SpoeFileInputsSchema, news);
  if (!result.inputs || typeof news.name !== "string" || news.name === UNKNOWN) return result;
  const connectionKnown = !JSON.stringify(news.connection ?? null).includes(UNKNOWN);
  // The stored path is an input too, so the Frontend that names it stays known while a content change is previewed.
  let path = olds.name === news.name && typeof olds.path === "string" ? olds.path : undefined;
  try {
    if (!path && connectionKnown) path = await pathOf(await clientFor(ResourceConnectionSchema.optional().parse(news.connection)), news.name);
    const inputs = path ? { ...result.inputs, path } : result.inputs;
    const changed = Object.keys(withoutProvider(olds)).length === 0 || olds.contents !== news.contents;
    if (!changed || news.validate === false || !connectionKnown || typeof news.contents !== "string" || news.contents === UNKNOWN) return { inputs };
    const failures = await validateWithHaproxy(desired(withoutProvider(result.inputs)));
    return failures.length ? { failures } : { inputs };
  } catch (e) {
    // No Data Plane API at preview (e.g. a pull request job without network to it): the check is skipped, not failed.
    if (isDpapiError(e, "DPAPI_UNREACHABLE") || isDpapiError(e, "DPAPI_TIMEOUT")) return path ? { inputs: { ...result.inputs, path } } : result;
    throw e;
  }
}

export async function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<DiffResult> {
  return diffInputs(INPUT_KEYS, ["name"], olds, withoutProvider(news));
}

/**
 * Puts `d.contents` in place of `previous` and reloads HAProxy when haproxy.cfg names the file. When that reload
 * fails, the previous contents go back (HAProxy still runs with them) and the error carries HAProxy's output.
 */
async function replaceContents(client: DataplaneClient, d: Desired, path: string, previous: string): Promise<void> {
  await client.replaceSpoeFile(d.name, d.contents, previous);
  if ((await client.referencesTo(path)).length === 0) return;
  try {
    await client.reloadNow();
  } catch (e) {
    if (!isDpapiError(e, "DPAPI_RELOAD_FAILED")) throw e;
    await client.replaceSpoeFile(d.name, previous, d.contents).catch(() => undefined);
    throw new DpapiError({ code: "DPAPI_RELOAD_FAILED", method: e.method, path: e.path, status: e.status, dpapiMessage: e.dpapiMessage,
      message: `${label(d.name)}: HAProxy did not load the new contents, so the previous ones were put back: ${e.dpapiMessage ?? e.message}` });
  }
}

export async function create(inputs: Record<string, unknown>) {
  const d = desired(inputs);
  const client = await clientFor(d.connection);
  let path = await pathOf(client, d.name);
  if (path && !d.adopt) {
    throw new DpapiError({ code: "DPAPI_EXISTS", message: `${label(d.name)} already exists in DPAPI SPOE storage`,
      hint: "set `adopt: true` on this SpoeFile to take it over (its contents become the ones in your program), or choose another name" });
  }
  if (path) await replaceContents(client, d, path, (await client.getSpoeFile(d.name)) ?? "");
  else path = await client.uploadSpoeFile(d.name, d.contents);
  return { id: d.name, outs: await stateAfterWrite(client, d, path) };
}

export async function read(id: string, props: Record<string, unknown>) {
  const client = await clientFor(ResourceConnectionSchema.optional().parse(props.connection));
  const path = await pathOf(client, id);
  const rendered = path ? await client.getSpoeFile(id) : undefined;
  if (!path || rendered === undefined) return {};
  const { path: _p, renderedDigest, stateVersion: _v, ...kept } = withoutProvider(props);
  // Unchanged since our write: the declared text stands. Changed: what DPAPI has now, so the diff shows it.
  const contents = digestOf(rendered) === renderedDigest ? kept.contents : normalized(rendered) + "\n";
  const inputs = { ...kept, name: id, contents } as Record<string, unknown>;
  return { id, props: { ...inputs, path, renderedDigest, stateVersion: STATE_VERSION }, inputs };
}

export async function update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
  const d = desired(news);
  const client = await clientFor(d.connection);
  const path = await pathOf(client, id);
  if (!path) {
    throw new DpapiError({ code: "DPAPI_NOT_FOUND", message: `${label(id)} no longer exists in DPAPI SPOE storage`,
      hint: "run `pulumi refresh` so Pulumi forgets it, then `pulumi up` recreates it" });
  }
  const live = (await client.getSpoeFile(id)) ?? "";
  const drifted = digestOf(live) !== olds.renderedDigest;
  // What to put back if HAProxy refuses the new contents: what is there now.
  const previous = !drifted && typeof olds.contents === "string" ? olds.contents : live;
  if (olds.contents !== d.contents || drifted) await replaceContents(client, d, path, previous);
  return { outs: await stateAfterWrite(client, d, path) };
}

export async function remove(id: string, props: Record<string, unknown>): Promise<void> {
  const client = await clientFor(ResourceConnectionSchema.optional().parse(props.connection));
  await removeObject(label(id), () => client.deleteSpoeFile(id),
    "remove the `filter spoe` that names it (the Frontend's `filters`) first, then delete the SpoeFile");
}
