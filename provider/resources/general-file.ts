// The life of a GeneralFile: any file in DPAPI's general storage that haproxy.cfg
// names by path (an error page for `http-request return ... file`, a Lua script,
// an ACL `-f` pattern file). HAProxy reads such files only when it loads its
// configuration: a change to a file haproxy.cfg names reloads HAProxy, a change
// to one it does not name reloads nothing.
import { z } from "zod";
import { DpapiError, isDpapiError, type DataplaneClient } from "../client";
import { clientFor } from "../connection";
import {
  STATE_VERSION, ResourceConnectionSchema, UNKNOWN, checkInputs, diffInputs, withoutProvider, removeObject,
  type CheckResult, type DiffResult,
} from "./common";

export const STORED_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;
export const STORED_NAME_RULE = "must be a file name: letters, digits and . _ - only, not starting with a dot (DPAPI renames anything else)";

export const GeneralFileInputsSchema = z.strictObject({
  name: z.string().regex(STORED_NAME, STORED_NAME_RULE).describe("File name in DPAPI general storage, e.g. 503.http. Changing it replaces the file."),
  contents: z.string().describe("The file's contents, kept byte for byte."),
  adopt: z.boolean().default(false).describe("Take over a file of this name that already exists instead of failing with 'already exists'."),
  connection: ResourceConnectionSchema.optional(),
});

export type GeneralFileInputs = z.input<typeof GeneralFileInputsSchema>;
type Desired = z.output<typeof GeneralFileInputsSchema>;
export type GeneralFileState = Desired & {
  /** Absolute path of the stored file, for haproxy.cfg. */
  path: string;
  stateVersion: number;
};

const INPUT_KEYS = ["name", "contents", "adopt", "connection"] as const;

function desired(inputs: Record<string, unknown>): Desired {
  const { path: _path, stateVersion: _v, ...rest } = withoutProvider(inputs);
  return GeneralFileInputsSchema.parse(rest);
}

const state = (d: Desired, path: string): GeneralFileState => ({ ...d, path, stateVersion: STATE_VERSION });
const label = (name: string) => `GeneralFile "${name}"`;

async function pathOf(client: DataplaneClient, name: string): Promise<string | undefined> {
  return (await client.listGeneralFiles()).find((f) => f.storage_name === name)?.file;
}

/**
 * Stores `contents` over the file; HAProxy reloads when haproxy.cfg names the file. When that reload fails, the
 * previous contents go back (HAProxy still runs with them) and the error says why.
 */
async function replaceContents(client: DataplaneClient, d: Desired, path: string, previous: string | undefined): Promise<void> {
  const used = (await client.referencesTo(path)).length > 0;
  try {
    await client.replaceGeneralFile(d.name, d.contents, { reload: used });
  } catch (e) {
    if (used && previous !== undefined && isDpapiError(e, "DPAPI_RELOAD_FAILED")) {
      await client.replaceGeneralFile(d.name, previous).catch(() => undefined);
      throw new DpapiError({ code: "DPAPI_RELOAD_FAILED", method: e.method, path: e.path, status: e.status, dpapiMessage: e.dpapiMessage,
        message: `${label(d.name)}: HAProxy did not load the new contents, so the previous ones were put back: ${e.dpapiMessage ?? e.message}` });
    }
    throw e;
  }
}

export async function check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<CheckResult<Record<string, unknown>>> {
  const result = checkInputs("GeneralFile", GeneralFileInputsSchema, news);
  if (!result.inputs || typeof news.name !== "string" || news.name === UNKNOWN) return result;
  // The stored path is an input too, so what uses it stays known while a content change is previewed.
  const path = olds.name === news.name && typeof olds.path === "string" ? olds.path : await storedPath(news);
  return path ? { inputs: { ...result.inputs, path } } : result;
}

/** Where DPAPI stores this file now; undefined when it does not yet, or the API cannot be asked (a CI preview). */
async function storedPath(news: Record<string, unknown>): Promise<string | undefined> {
  if (JSON.stringify(news.connection ?? null).includes(UNKNOWN)) return undefined;
  try {
    return await pathOf(await clientFor(ResourceConnectionSchema.optional().parse(news.connection)), news.name as string);
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
  try {
    const stored = await client.uploadGeneralFile(d.name, d.contents);
    const path = stored.file ?? await pathOf(client, d.name);
    if (!path) throw new DpapiError({ code: "DPAPI_BAD_RESPONSE", message: `DPAPI stored ${label(d.name)} but does not list it` });
    return { id: d.name, outs: state(d, path) };
  } catch (e) {
    if (!isDpapiError(e, "DPAPI_EXISTS")) throw e;
    if (!d.adopt) {
      throw new DpapiError({ code: "DPAPI_EXISTS", message: `${label(d.name)} already exists in DPAPI general storage`,
        hint: "set `adopt: true` on this GeneralFile to take it over (its contents become the ones in your program), or choose another name" });
    }
    const path = await pathOf(client, d.name);
    if (!path) throw e;
    await replaceContents(client, d, path, await client.getGeneralFileContents(d.name));
    return { id: d.name, outs: state(d, path) };
  }
}

export async function read(id: string, props: Record<string, unknown>) {
  const client = await clientFor(ResourceConnectionSchema.optional().parse(props.connection));
  const path = await pathOf(client, id);
  const contents = path ? await client.getGeneralFileContents(id) : undefined;
  if (!path || contents === undefined) return {};
  const { path: _p, stateVersion: _v, ...kept } = withoutProvider(props);
  const inputs = { ...kept, name: id, contents } as Record<string, unknown>;
  return { id, props: { ...inputs, path, stateVersion: STATE_VERSION }, inputs };
}

export async function update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
  const d = desired(news);
  const client = await clientFor(d.connection);
  const path = await pathOf(client, id);
  if (!path) {
    throw new DpapiError({ code: "DPAPI_NOT_FOUND", message: `${label(id)} no longer exists in DPAPI general storage`,
      hint: "run `pulumi refresh` so Pulumi forgets it, then `pulumi up` recreates it" });
  }
  if (olds.contents !== d.contents) await replaceContents(client, d, path, typeof olds.contents === "string" ? olds.contents : undefined);
  return { outs: state(d, path) };
}

export async function remove(id: string, props: Record<string, unknown>): Promise<void> {
  const client = await clientFor(ResourceConnectionSchema.optional().parse(props.connection));
  await removeObject(label(id), () => client.deleteGeneralFile(id),
    "remove what names its path in haproxy.cfg (e.g. the Frontend rule that returns it) first, then delete the GeneralFile");
}
