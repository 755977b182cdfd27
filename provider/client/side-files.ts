// General files and SPOE files in DPAPI's storage: what HAProxy reads only when it
// loads its configuration (error pages, Lua scripts, ACL pattern files, SPOE
// agent definitions). Their quirks stay here:
// - DPAPI has no replace for an SPOE file: it is deleted and uploaded again, in
//   one queue slot, so no reload of ours can fall between the two.
// - DPAPI deletes an SPOE file haproxy.cfg still names (the next reload then
//   fails); a general file it refuses itself. Both are checked here first.
// - An SPOE file DPAPI cannot parse is refused, but stays on disk: it is removed.
// - v3 takes a general file's replacement as a multipart upload, v2 as text.
import { z } from "zod";
import { DpapiError, isDpapiError } from "./errors";
import type { Http } from "./http";
import { common, type Dialect, type Generation } from "./dialect";
import { parseAs, parseJson, parseValue } from "./parse";
import { GeneralFileSchema, type GeneralFile } from "./schemas";
import type { WriteQueue, WriteResult } from "./writes";

export interface SideFileVerbs {
  listGeneralFiles(): Promise<GeneralFile[]>;
  /** The stored bytes as text; undefined when there is no such file. */
  getGeneralFileContents(name: string): Promise<string | undefined>;
  uploadGeneralFile(name: string, contents: string): Promise<GeneralFile>;
  /** Replaces the stored file; HAProxy reloads only with `reload: true` (it reads such files when it loads). */
  replaceGeneralFile(name: string, contents: string, opts?: { reload?: boolean }): Promise<WriteResult>;
  /** DPAPI_REFERENCED while a non-comment line of haproxy.cfg names it. */
  deleteGeneralFile(name: string): Promise<void>;

  /** Absolute paths of the stored SPOE files. */
  listSpoeFiles(): Promise<string[]>;
  /** An SPOE file as DPAPI's parser renders it (not byte for byte); undefined when there is none. */
  getSpoeFile(name: string): Promise<string | undefined>;
  /** Stores a new SPOE file; returns its path. DPAPI_VALIDATION when DPAPI cannot parse it (nothing is left behind). */
  uploadSpoeFile(name: string, contents: string): Promise<string>;
  /** Replaces an SPOE file's contents; on failure the previous contents are stored again. */
  replaceSpoeFile(name: string, contents: string, previous: string): Promise<void>;
  /** DPAPI_REFERENCED while a non-comment line of haproxy.cfg names it. */
  deleteSpoeFile(name: string): Promise<void>;

  /** Non-comment lines of haproxy.cfg that name `path`, as "line N: text". */
  referencesTo(path: string): Promise<string[]>;
}

/** Non-comment lines of a configuration that name `path`, as "line N: text". */
export function referencesIn(cfg: string, path: string): string[] {
  return cfg.split("\n").flatMap((line, i) => {
    const t = line.trim();
    return t && !t.startsWith("#") && t.includes(path) ? [`line ${i + 1}: ${t}`] : [];
  });
}

export function referencedError(path: string, method: "DELETE", at: string, refs: string[]): DpapiError {
  return new DpapiError({ code: "DPAPI_REFERENCED", method, path: at, status: 409,
    dpapiMessage: `${path} is referenced in haproxy.cfg at ${refs.join("; ")}`,
    message: `still in use: ${path} is referenced in haproxy.cfg at ${refs.join("; ")}`,
    hint: "remove the reference from haproxy.cfg (or the resource that adds it) first" });
}

const notFound = <T>(p: Promise<T>): Promise<T | undefined> =>
  p.catch((e) => { if (isDpapiError(e, "DPAPI_NOT_FOUND")) return undefined; throw e; });

/**
 * The verbs, queued behind configuration writes, and `storeSpoeFile`: the same upload unqueued, for a task that
 * already holds the queue (a scratch check), which would otherwise wait for itself.
 */
export function sideFileVerbs(http: Http, g: Generation, d: Dialect, queue: WriteQueue, rawConfiguration: () => Promise<string>):
  { verbs: SideFileVerbs; storeSpoeFile(name: string, contents: string): Promise<string> } {
  const upload = (path: string, name: string, contents: string) =>
    http.request({ method: "POST", path, body: { file: { field: "file_upload", filename: name, content: contents } } });

  const listSpoeFiles = async (): Promise<string[]> => {
    try {
      const body = d.unwrap(parseJson((await http.request({ method: "GET", path: common.spoeFiles(g) })).text));
      return parseValue(z.array(z.string()), body ?? [], "SPOE file list");
    } catch (e) {
      // DPAPI answers an error, not an empty list, when its SPOE folder is empty.
      if (isDpapiError(e) && /no SPOE files in dir/i.test(e.dpapiMessage ?? e.message)) return [];
      throw e;
    }
  };
  const spoePath = async (name: string) => (await listSpoeFiles()).find((p) => p.split("/").pop() === name);

  const uploadSpoe = async (name: string, contents: string): Promise<string> => {
    try {
      const res = await upload(common.spoeFiles(g), name, contents);
      const path = parseJson(res.text);
      if (typeof path === "string" && path) return path;
      const listed = await spoePath(name);
      if (!listed) throw new DpapiError({ code: "DPAPI_BAD_RESPONSE", message: `DPAPI stored SPOE file ${name} but does not list it` });
      return listed;
    } catch (e) {
      if (!isDpapiError(e) || e.status === undefined || e.status < 400) throw e;
      // DPAPI answers 500, not 409, for a name already taken; that file is someone's and stays.
      if (/already exists/i.test(e.dpapiMessage ?? e.message)) {
        throw new DpapiError({ code: "DPAPI_EXISTS", method: "POST", path: common.spoeFiles(g), status: e.status, dpapiMessage: e.dpapiMessage,
          message: `SPOE file ${name} already exists` });
      }
      // DPAPI writes the file before it parses it: a refused file would otherwise stay, and block the next create.
      await http.request({ method: "DELETE", path: common.spoeFile(g, name) }).catch(() => undefined);
      throw new DpapiError({ code: "DPAPI_VALIDATION", method: "POST", path: common.spoeFiles(g), status: e.status, dpapiMessage: e.dpapiMessage,
        message: `the Data Plane API could not read SPOE file ${name}: ${e.dpapiMessage ?? e.message}` });
    }
  };

  const refusedWhileReferenced = async (path: string | undefined, at: string) => {
    const refs = path ? referencesIn(await rawConfiguration(), path) : [];
    if (refs.length > 0) throw referencedError(path!, "DELETE", at, refs);
  };

  const verbs: SideFileVerbs = {
    listGeneralFiles: async () =>
      parseValue(z.array(GeneralFileSchema), d.unwrap(parseJson((await http.request({ method: "GET", path: common.storageGeneral(g) })).text)) ?? [], "general file list"),
    getGeneralFileContents: (name) => notFound(http.request({ method: "GET", path: common.storageGeneralFile(g, name), accept: "application/octet-stream" }).then((r) => r.text)),
    uploadGeneralFile: (name, contents) => queue.exclusive(async () =>
      parseAs(GeneralFileSchema, (await upload(common.storageGeneral(g), name, contents)).text, "general file")),
    replaceGeneralFile: (name, contents, opts) => queue.exclusive(async () => {
      const query = opts?.reload ? {} : { skip_reload: true };
      const body = d.capabilities.generalReplaceMultipart
        ? { file: { field: "file_upload", filename: name, content: contents } }
        : { text: contents };
      return queue.confirm(await http.request({ method: "PUT", path: common.storageGeneralFile(g, name), query, body }));
    }),
    deleteGeneralFile: (name) => queue.exclusive(async () => {
      await http.request({ method: "DELETE", path: common.storageGeneralFile(g, name) });
    }),

    listSpoeFiles,
    getSpoeFile: (name) => notFound((async () => {
      const body = parseJson((await http.request({ method: "GET", path: common.spoeFile(g, name) })).text) as { data?: unknown } | undefined;
      return typeof body?.data === "string" ? body.data : "";
    })()),
    uploadSpoeFile: (name, contents) => queue.exclusive(() => uploadSpoe(name, contents)),
    replaceSpoeFile: (name, contents, previous) => queue.exclusive(async () => {
      await http.request({ method: "DELETE", path: common.spoeFile(g, name) });
      try {
        await uploadSpoe(name, contents);
      } catch (e) {
        await uploadSpoe(name, previous).catch(() => undefined);
        throw e;
      }
    }),
    deleteSpoeFile: (name) => queue.exclusive(async () => {
      const at = common.spoeFile(g, name);
      const path = await spoePath(name);
      if (!path) throw new DpapiError({ code: "DPAPI_NOT_FOUND", method: "DELETE", path: at, status: 404, message: `no SPOE file ${name}` });
      await refusedWhileReferenced(path, at);
      await http.request({ method: "DELETE", path: at });
    }),

    referencesTo: async (path) => referencesIn(await rawConfiguration(), path),
  };
  return { verbs, storeSpoeFile: uploadSpoe };
}
