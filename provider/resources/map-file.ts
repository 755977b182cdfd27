// The life of a MapFile: a file in DPAPI's map storage that haproxy.cfg
// references as map(<path>). While HAProxy has it loaded, entry changes go
// through the runtime API (no reload) and the file is rewritten alongside, so
// the change is live at once and survives the next reload.
//
// Entry order. HAProxy matches list-indexed map types (map_reg, map_sub,
// map_end, map_dom, map_dir, map_int, ...) in file order, first match wins;
// map/map_str/map_ip look up a tree, where order does not matter.
// - `entries` as an object: order is not significant. Pulumi does not keep
//   object key order through its engine, so the file lists keys sorted by
//   code point, always the same.
// - `entries` as an array of {key, value}, or raw `contents`: the order is
//   the file order, kept on disk and in HAProxy's memory. New keys are
//   appended at runtime; a change that moves existing keys, or inserts
//   between them, replaces the whole map at once (large maps) or replaces the
//   file and reloads HAProxy (small maps, the only way HAProxy takes a new order).
import { z } from "zod";
import { DpapiError, isDpapiError, mapKeyAddressable, type DataplaneClient, type MapEdit } from "../client";
import { clientFor } from "../connection";
import {
  STATE_VERSION, ResourceConnectionSchema, UNKNOWN, checkInputs, diffInputs, withoutProvider,
  type CheckResult, type DiffResult,
  removeObject,
} from "./common";

/** One line of a map file: `<key> <value>`. */
export interface MapEntry {
  /** What HAProxy looks up, e.g. a host name; no whitespace, not starting with `#`. */
  key: string;
  /** What the lookup returns, e.g. a backend name; no whitespace. */
  value: string;
}

const KEY_RULE = "must be non-empty, without whitespace, and not start with #";
const VALUE_RULE = "must be non-empty and without whitespace (DPAPI's runtime listing cuts values at the first space)";
const isKey = (k: string) => /^[^\s#]\S*$/.test(k);
const isValue = (v: string) => /^\S+$/.test(v);

const KeySchema = z.string().refine(isKey, KEY_RULE);
const ValueSchema = z.string().refine(isValue, VALUE_RULE);

/** Lines of a map file as entries: blank lines and # comments skipped, key = first word, value = the rest. */
export function parseContents(contents: string): Array<MapEntry & { line: number }> {
  return contents.split(/\r?\n/).flatMap((raw, i) => {
    const t = raw.trim();
    if (t === "" || t.startsWith("#")) return [];
    const m = /^(\S+)\s*(.*)$/.exec(t)!;
    return [{ key: m[1], value: m[2], line: i + 1 }];
  });
}

export const MapFileInputsSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]+\.map$/, "must be a file name such as hosts.map: letters, digits, - and _, ending in .map (DPAPI renames anything else)")
    .describe("File name in DPAPI map storage, e.g. hosts.map. Changing it replaces the map."),
  entries: z.union([
    // Keys of the object form are checked below: a failing key schema inside a union only says "Invalid input".
    z.record(z.string(), ValueSchema),
    z.array(z.strictObject({ key: KeySchema, value: ValueSchema })),
  ], { error: "must be an object of key → value, or an array of { key, value }" }).optional().describe("Key → value. An object when order does not matter (the file lists keys sorted); an array of {key, value} to keep file order (first match wins for map_reg, map_sub, map_end, map_dom, ...)."),
  contents: z.string().optional().describe("Raw file contents (one `key value` per line, # comments allowed), instead of entries. Kept verbatim on disk."),
  adopt: z.boolean().default(false).describe("Take over a map file that already exists instead of failing with 'already exists'."),
  connection: ResourceConnectionSchema.optional(),
}).superRefine((v, ctx) => {
  if (v.entries !== undefined && v.contents !== undefined) {
    ctx.addIssue({ code: "custom", path: ["contents"], message: "give either entries or contents, not both" });
  }
  if (v.entries && !Array.isArray(v.entries)) {
    for (const key of Object.keys(v.entries)) if (!isKey(key)) ctx.addIssue({ code: "custom", path: ["entries", key], message: `key ${KEY_RULE}` });
  }
  if (Array.isArray(v.entries)) {
    const seen = new Set<string>();
    v.entries.forEach((e, i) => {
      if (seen.has(e.key)) ctx.addIssue({ code: "custom", path: ["entries", i, "key"], message: `duplicate key ${JSON.stringify(e.key)}` });
      seen.add(e.key);
    });
  }
  if (typeof v.contents === "string" && v.contents !== UNKNOWN) {
    for (const e of parseContents(v.contents)) {
      if (!isValue(e.value)) ctx.addIssue({ code: "custom", path: ["contents"], message: `line ${e.line} (${JSON.stringify(e.key)}): value ${VALUE_RULE}` });
    }
  }
});

export type MapFileInputs = z.input<typeof MapFileInputsSchema>;
type Desired = z.output<typeof MapFileInputsSchema>;
export type MapFileState = Desired & {
  /** Absolute path of the file, for map(<path>) in haproxy.cfg. */
  path: string;
  stateVersion: number;
};

const INPUT_KEYS = ["name", "entries", "contents", "adopt", "connection"] as const;

/** More edits than this go as one atomic replacement when the map is big enough (see the client). */
const RUNTIME_EDIT_LIMIT = 500;

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The entries in file order. */
export function entriesOf(d: Pick<Desired, "entries" | "contents">): MapEntry[] {
  if (d.contents !== undefined) return parseContents(d.contents).map(({ key, value }) => ({ key, value }));
  if (Array.isArray(d.entries)) return d.entries.map(({ key, value }) => ({ key, value }));
  return Object.keys(d.entries ?? {}).sort(byCodePoint).map((key) => ({ key, value: d.entries![key as keyof typeof d.entries] as string }));
}

/** Is file order part of what the user declared? */
const ordered = (d: Pick<Desired, "entries" | "contents">) => d.contents !== undefined || Array.isArray(d.entries);

export function renderContents(d: Pick<Desired, "entries" | "contents">): string {
  if (d.contents !== undefined) return d.contents;
  return entriesOf(d).map((e) => `${e.key} ${e.value}\n`).join("");
}

export interface EditPlan {
  edits: MapEdit[];
  /** Can the edits alone give the declared result (order included, when it counts)? */
  feasible: boolean;
}

/** The runtime edits that turn `live` into `want`. */
export function planEdits(live: MapEntry[], want: MapEntry[], keepOrder: boolean): EditPlan {
  const liveValues = new Map<string, string>();
  let duplicates = false;
  for (const e of live) {
    if (liveValues.has(e.key)) duplicates = true;
    else liveValues.set(e.key, e.value);
  }
  const wanted = new Map(want.map((e) => [e.key, e.value]));
  const edits: MapEdit[] = [];
  for (const key of liveValues.keys()) if (!wanted.has(key)) edits.push({ op: "delete", key });
  for (const e of want) {
    const now = liveValues.get(e.key);
    if (now === undefined) edits.push({ op: "add", key: e.key, value: e.value });
    else if (now !== e.value) edits.push({ op: "set", key: e.key, value: e.value });
  }
  let feasible = !duplicates && edits.every((e) => e.op === "add" || mapKeyAddressable(e.key));
  if (feasible && keepOrder) {
    // HAProxy keeps the order of what stays and appends what is added.
    const after = [...[...liveValues.keys()].filter((k) => wanted.has(k)), ...edits.filter((e) => e.op === "add").map((e) => e.key)];
    feasible = after.length === want.length && after.every((k, i) => k === want[i].key);
  }
  return { edits, feasible };
}

/** How the last change reached HAProxy; not stored, returned for tests and logs. */
export type ApplyMode = "none" | "file" | "runtime-edits" | "runtime-replace" | "file-and-reload";

/** Makes the stored file, and HAProxy's memory when it has the map loaded, match `d`. */
export async function applyEntries(client: DataplaneClient, d: Pick<Desired, "name" | "entries" | "contents">): Promise<ApplyMode> {
  const contents = renderContents(d);
  if (!(await client.isMapLoaded(d.name))) {
    await client.replaceMapFile(d.name, contents);
    return "file";
  }
  const want = entriesOf(d);
  const live = await client.listMapEntries(d.name);
  const plan = planEdits(live, want, ordered(d));
  let mode: ApplyMode = "none";
  if (plan.edits.length > 0 || !plan.feasible) {
    if (plan.feasible && plan.edits.length <= RUNTIME_EDIT_LIMIT) {
      await client.applyMapEdits(d.name, plan.edits);
      mode = "runtime-edits";
    } else {
      let replaced = false;
      try {
        replaced = (await client.replaceRuntimeMap(d.name, want)) === "replaced";
      } catch (e) {
        if (!isDpapiError(e, "DPAPI_UNSUPPORTED")) throw e;
      }
      if (replaced) mode = "runtime-replace";
      else if (plan.feasible) {
        await client.applyMapEdits(d.name, plan.edits);
        mode = "runtime-edits";
      } else {
        await client.replaceMapFile(d.name, contents, { reload: true });
        return "file-and-reload";
      }
    }
  }
  // The file in declared order (and verbatim contents), so the next reload loads the same map.
  await client.replaceMapFile(d.name, contents);
  return mode;
}

function desired(inputs: Record<string, unknown>): Desired {
  const { path: _path, stateVersion: _v, ...rest } = withoutProvider(inputs);
  return MapFileInputsSchema.parse(rest);
}

const state = (d: Desired, path: string): MapFileState => ({ ...d, path, stateVersion: STATE_VERSION });

async function pathOf(client: DataplaneClient, name: string): Promise<string | undefined> {
  return (await client.listMapFiles()).find((m) => m.storage_name === name)?.file;
}

export async function check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<CheckResult<Record<string, unknown>>> {
  const result = checkInputs("MapFile", MapFileInputsSchema, news);
  if (!result.inputs || typeof news.name !== "string" || news.name === UNKNOWN) return result;
  // The stored file's path becomes an input too: the engine previews an update with its inputs, so what uses
  // `path` (a Frontend's map route) stays known during the preview of an entry change, and shows no change itself.
  const path = olds.name === news.name && typeof olds.path === "string" ? olds.path : await storedPath(news);
  return path ? { inputs: { ...result.inputs, path } } : result;
}

/** Where DPAPI stores this map now; undefined when it does not yet, or the API cannot be asked (e.g. a CI preview). */
async function storedPath(news: Record<string, unknown>): Promise<string | undefined> {
  if (JSON.stringify(news.connection ?? null).includes(UNKNOWN)) return undefined;
  try {
    const client = await clientFor(ResourceConnectionSchema.optional().parse(news.connection));
    return await pathOf(client, news.name as string);
  } catch {
    return undefined;
  }
}

export async function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<DiffResult> {
  return diffInputs(INPUT_KEYS, ["name"], olds, withoutProvider(news));
}

export async function create(inputs: Record<string, unknown>) {
  const d = desired(inputs);
  const client = await clientFor(d.connection);
  let path: string | undefined;
  try {
    path = (await client.uploadMapFile(d.name, renderContents(d))).file;
    // A map haproxy.cfg already names may be loaded from an earlier file of this name.
    if (await client.isMapLoaded(d.name)) await applyEntries(client, d);
  } catch (e) {
    if (!isDpapiError(e, "DPAPI_EXISTS")) throw e;
    if (!d.adopt) {
      throw new DpapiError({ code: "DPAPI_EXISTS", message: `MapFile "${d.name}" already exists in DPAPI map storage`,
        hint: "set `adopt: true` on this MapFile to take it over (its entries become the ones in your program), or choose another name" });
    }
    await applyEntries(client, d);
  }
  path ??= await pathOf(client, d.name);
  if (!path) throw new DpapiError({ code: "DPAPI_BAD_RESPONSE", message: `DPAPI stored MapFile "${d.name}" but does not list it` });
  return { id: d.name, outs: state(d, path) };
}

/** What is live, in the shape the user declared it (`old` is state, not re-validated: refresh must not fail on it). */
function observedInputs(old: Pick<Desired, "entries" | "contents">, live: MapEntry[], liveText: string | undefined): Pick<Desired, "entries" | "contents"> {
  if (old.contents === undefined && old.entries === undefined && live.length === 0) return {};
  if (old.contents !== undefined) {
    if (liveText !== undefined) return { contents: liveText };
    const same = JSON.stringify(live) === JSON.stringify(entriesOf(old));
    return { contents: same ? old.contents : live.map((e) => `${e.key} ${e.value}\n`).join("") };
  }
  if (Array.isArray(old.entries)) return { entries: live };
  const record: Record<string, string> = {};
  for (const e of live) if (!(e.key in record)) record[e.key] = e.value;
  return { entries: record };
}

export async function read(id: string, props: Record<string, unknown>) {
  const old = { entries: props.entries, contents: props.contents } as Pick<Desired, "entries" | "contents">;
  const client = await clientFor(ResourceConnectionSchema.optional().parse(props.connection));
  const path = await pathOf(client, id);
  if (!path) return {};
  let observed: Pick<Desired, "entries" | "contents">;
  if (await client.isMapLoaded(id)) {
    // What HAProxy serves is the truth while the map is loaded.
    observed = observedInputs(old, (await client.listMapEntries(id)).map(({ key, value }) => ({ key, value })), undefined);
  } else {
    const text = (await client.getMapFileContents(id)) ?? "";
    observed = observedInputs(old, entriesOf({ contents: text }), old.contents !== undefined ? text : undefined);
  }
  const { path: _path, stateVersion: _v, entries: _e, contents: _c, ...kept } = withoutProvider(props);
  const inputs = { ...kept, name: id, ...observed } as Record<string, unknown>;
  return { id, props: { ...inputs, path, stateVersion: STATE_VERSION }, inputs };
}

export async function update(id: string, _olds: Record<string, unknown>, news: Record<string, unknown>) {
  const d = desired(news);
  const client = await clientFor(d.connection);
  const path = await pathOf(client, id);
  if (!path) {
    throw new DpapiError({ code: "DPAPI_NOT_FOUND", message: `MapFile "${id}" no longer exists in DPAPI map storage`,
      hint: "run `pulumi refresh` so Pulumi forgets it, then `pulumi up` recreates it" });
  }
  await applyEntries(client, d);
  return { outs: state(d, path) };
}

export async function remove(id: string, props: Record<string, unknown>): Promise<void> {
  const conn = ResourceConnectionSchema.optional().parse(props.connection);
  const client = await clientFor(conn);
  await removeObject(`MapFile "${id}"`, () => client.deleteMapFile(id),
    "remove the map(...) reference from haproxy.cfg (or the resource that adds it) first, then delete the MapFile");
}
