// The only public face of the Data Plane API client. Resources call these
// domain verbs; generation differences, envelopes, versions, transactions,
// retries and reload confirmation stay behind them.
import { createHash } from "node:crypto";
import { z } from "zod";
import { DpapiError, isDpapiError } from "./errors";
import { createHttp, type Http } from "./http";
import { common, dialects, type Dialect, type Generation, type Target } from "./dialect";
import { ConnectionSchema, type ConnectionInput } from "./options";
import { parseAs, parseJson, parseValue, sameData } from "./parse";
import {
  BackendSchema, ConsulSchema, InfoSchema, FrontendSchema, BindSchema, FilterSchema, FRONTEND_LISTS, type Filter,
  type FrontendSection, type FrontendList, MapEntrySchema, MapFileSchema, ReloadSchema, RuntimeServerSchema,
  ServerSchema, SslCertificateSchema, TransactionSchema,
  type Backend, type Consul, type Info, type MapEntry, type MapFile, type Reload, type RuntimeServer, type Server,
  type SslCertificate, type Transaction,
} from "./schemas";
import { createWriteQueue, rawConfigText, type ConfigWrite, type WriteQueue, type WriteQueueStats, type WriteResult } from "./writes";
import { addServerEffect, deleteServerEffect, setServerEffect } from "./runtime-plan";
import { connectionRisks, warnOnce } from "./warnings";
import { referencedError, referencesIn, sideFileVerbs, type SideFileVerbs } from "./side-files";

export * from "./errors";
export * from "./schemas";
export type { Generation } from "./dialect";
export type { WriteResult, WriteQueueStats } from "./writes";
export { ConnectionSchema, type Connection, type ConnectionInput } from "./options";
export { createHttp, type Http, type HttpRequest, type HttpResponse } from "./http";
export { detectGeneration };
export { sameData } from "./parse";
export { setWarningSink } from "./warnings";

/** How long reads of one refresh share a backend's server list (writes of this process drop it at once). */
const READ_SNAPSHOT_MS = 3_000;

export interface DataplaneClient extends SideFileVerbs {
  readonly generation: Generation;
  readonly capabilities: Dialect["capabilities"];
  readonly baseUrl: string;
  /** Requests, transactions and reloads caused by this client (tests, benchmark). */
  stats(): { requests: number } & WriteQueueStats;

  info(): Promise<Info>;
  configurationVersion(): Promise<number>;
  transactions(): Promise<Transaction[]>;
  reload(id: string): Promise<Reload>;
  /** The raw haproxy.cfg as DPAPI sees it. */
  rawConfiguration(): Promise<string>;
  /** Reloads HAProxy in queue order and waits for it (after a change to a file HAProxy reads when it loads). */
  reloadNow(): Promise<void>;

  getBackend(name: string): Promise<Backend | undefined>;
  /** A backend's filters, in order. */
  listBackendFilters(name: string): Promise<Filter[]>;
  listBackends(): Promise<Backend[]>;
  createBackend(backend: Backend): Promise<WriteResult>;
  replaceBackend(backend: Backend): Promise<WriteResult>;
  deleteBackend(name: string): Promise<WriteResult>;

  /**
   * A backend and its servers changed as one: one transaction, so everything lands or nothing does.
   * Server changes HAProxy applies at runtime go without a reload when nothing else changes.
   */
  changeBackend(change: BackendChange): Promise<WriteResult>;

  /** A frontend with its binds, ACLs and rules; undefined when HAProxy has none of that name. */
  getFrontend(name: string): Promise<FrontendSection | undefined>;
  /**
   * Creates `want`, or turns `current` into it, as one transaction and one reload: the attributes, then each
   * bind by name, then every list replaced whole (v3 in one request per list, v2 one index at a time).
   */
  changeFrontend(want: FrontendSection, current?: FrontendSection): Promise<WriteResult>;
  deleteFrontend(name: string): Promise<WriteResult>;
  /**
   * Asks HAProxy whether haproxy.cfg with `want` (replacing `current`, if given) would load, changing
   * nothing: the writes go into a transaction that is rendered, validated (`only_validate`) and deleted.
   * Backends named in `standInBackends` that do not exist are added as empty ones (they are created
   * in the same update). A write DPAPI refuses, or HAProxy's messages, come back with the text checked.
   */
  validateFrontend(want: FrontendSection, current: FrontendSection | undefined, standInBackends: string[]): Promise<FrontendValidation>;
  /**
   * Asks HAProxy whether it would load an SPOE file, changing nothing: the file is stored under a scratch name
   * (and removed after), and a scratch frontend in a scratch transaction uses it once per engine (scope; none for
   * a file without scopes). Backends in `standInBackends` that do not exist are added as empty TCP ones.
   */
  validateSpoeFile(contents: string, engines: Array<string | undefined>, standInBackends: string[]): Promise<FrontendValidation>;
  /** Whether HAProxy runs this frontend (its stats know it: its listeners started). */
  frontendLive(name: string): Promise<boolean>;

  getServer(backend: string, name: string): Promise<Server | undefined>;
  /**
   * A server as of a snapshot of its backend's servers shared by reads made within a few seconds
   * (one request per backend for a whole `pulumi refresh`); any write of this client drops it.
   */
  readServer(backend: string, name: string): Promise<Server | undefined>;
  listServers(backend: string): Promise<Server[]>;
  createServer(backend: string, server: Server): Promise<WriteResult>;
  /** Replaces a server; when only runtime-capable fields differ from `previous`, HAProxy is not reloaded. */
  replaceServer(backend: string, server: Server, previous?: Server): Promise<WriteResult>;
  deleteServer(backend: string, name: string): Promise<WriteResult>;
  getRuntimeServer(backend: string, name: string): Promise<RuntimeServer | undefined>;
  /** The servers HAProxy runs for a backend (runtime API); undefined when HAProxy has no such backend. */
  listRuntimeServers(backend: string): Promise<RuntimeServer[] | undefined>;

  listMapFiles(): Promise<MapFile[]>;
  getMapFileContents(name: string): Promise<string | undefined>;
  uploadMapFile(name: string, contents: string): Promise<MapFile>;
  /** Replaces the stored file. Without `reload: true` HAProxy is not reloaded (a loaded map keeps its in-memory entries). */
  replaceMapFile(name: string, contents: string, opts?: { reload?: boolean }): Promise<WriteResult>;
  /** Deletes the stored file; DPAPI_REFERENCED while a non-comment line of haproxy.cfg names its path (checked here on v2). */
  deleteMapFile(name: string): Promise<void>;
  /** Is the map loaded by HAProxy (referenced in haproxy.cfg and reloaded)? */
  isMapLoaded(name: string): Promise<boolean>;
  listMapEntries(map: string): Promise<MapEntry[]>;
  addMapEntry(map: string, key: string, value: string): Promise<void>;
  setMapEntry(map: string, key: string, value: string): Promise<void>;
  deleteMapEntry(map: string, key: string): Promise<void>;
  /**
   * Changes a loaded map in HAProxy's memory only (no force_sync, no reload), in one queue slot: deletes and
   * sets run a few at a time, adds run one by one in the given order (HAProxy appends them). Every key must
   * pass {@link mapKeyAddressable}. The caller writes the file (replaceMapFile) so the change survives a reload.
   */
  applyMapEdits(map: string, edits: MapEdit[]): Promise<void>;
  /**
   * Replaces every in-memory entry of a loaded map at once, in the given order, with no reload. DPAPI does this
   * atomically (prepare/add/commit map, HAProxy >= 2.4) only for payloads beyond its socket buffer, so smaller
   * payloads are not sent ("too-small"). The result is read back; DPAPI_UNSUPPORTED if HAProxy did not replace.
   */
  replaceRuntimeMap(map: string, entries: Array<{ key: string; value: string }>): Promise<"replaced" | "too-small">;

  listCertificates(): Promise<SslCertificate[]>;
  getCertificate(name: string): Promise<SslCertificate | undefined>;
  uploadCertificate(name: string, pem: string): Promise<SslCertificate & { reloaded: boolean }>;
  replaceCertificate(name: string, pem: string): Promise<WriteResult>;
  deleteCertificate(name: string): Promise<WriteResult>;

  listConsuls(): Promise<Consul[]>;
  getConsul(id: string): Promise<Consul | undefined>;
  createConsul(consul: Consul): Promise<Consul>;
  /**
   * Rejects with DPAPI_NOT_FOUND for an unknown id. Disabling a running watcher
   * takes its retry_timeout plus a few seconds (see WATCHER_PARKED_S).
   */
  replaceConsul(id: string, consul: Consul): Promise<Consul>;
  /** Rejects with DPAPI_NOT_FOUND for an unknown id. */
  deleteConsul(id: string): Promise<void>;
}

async function detectGeneration(http: Http): Promise<Generation> {
  for (const g of ["v3", "v2"] as const) {
    const res = await http.exchange({ method: "GET", path: common.info(g) });
    if (res.status === 200) return g;
    if (res.status === 401 || res.status === 403) {
      throw new DpapiError({ code: "DPAPI_AUTH", method: "GET", path: common.info(g), status: res.status,
        message: `Data Plane API at ${http.baseUrl} refused the credentials`,
        hint: "check haproxy-dataplane:username / haproxy-dataplane:password (or HAPROXY_DATAPLANE_USERNAME / HAPROXY_DATAPLANE_PASSWORD)" });
    }
    if (res.status !== 404) break;
  }
  throw new DpapiError({ code: "DPAPI_UNSUPPORTED", method: "GET", path: "/v3/info",
    message: `${http.baseUrl} answers neither /v3/info nor /v2/info`,
    hint: "point haproxy-dataplane:url at a Data Plane API 2.x or 3.x (base URL, without /v2 or /v3)" });
}

/**
 * Stopping a running Consul watcher is unsafe in DPAPI (both generations): the
 * PUT's handler nils the watcher's HTTP client while the watcher may be between
 * two queries of a poll, and the next query dereferences it: the whole process
 * dies (SIGSEGV in consulInstance.doConsulQuery). A PUT that keeps it enabled
 * is safe and sets the interval the watcher arms after its next poll. So the
 * client parks a watcher first (a day-long interval), waits out the timer it
 * already holds plus the poll that timer starts, and only then disables it.
 */
const WATCHER_PARKED_S = 86_400;
/** How long one poll may take: Consul's catalog and one health query per service, then DPAPI's own writes. */
const WATCHER_POLL_ALLOWANCE_MS = 5_000;
const watcherParkingMs = (retryTimeoutS: number) =>
  // A watcher found parked already (an earlier stop was interrupted) armed its day-long timer long ago, most likely.
  (retryTimeoutS >= WATCHER_PARKED_S ? 0 : retryTimeoutS * 1000) + WATCHER_POLL_ALLOWANCE_MS;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * DPAPI answers 500 "instance not found" (PUT: "cannot update resource: instance
 * not found") for an unknown discovery id, where its spec says 404.
 */
function consulNotFound(e: unknown, id: string): unknown {
  if (isDpapiError(e) && e.code !== "DPAPI_NOT_FOUND" && (e.status === 404 || /instance not found/i.test(e.dpapiMessage ?? ""))) {
    return new DpapiError({ code: "DPAPI_NOT_FOUND", method: e.method, path: e.path, status: e.status, dpapiCode: e.dpapiCode,
      dpapiMessage: e.dpapiMessage, message: `no service discovery ${id} in the Data Plane API` });
  }
  return e;
}

/**
 * The writes that create `want` or turn `current` into it. Binds are addressed by name; every list is replaced
 * whole, so no caller ever sees an index: v3 PUTs the list, v2 deletes index 0 as often as the list is long and
 * posts each item at its index. Unchanged parts are not written.
 */
function frontendWrites(d: Dialect, want: FrontendSection, current?: FrontendSection): ConfigWrite[] {
  const name = want.frontend.name;
  const same = sameData;
  const writes: ConfigWrite[] = [];
  if (!current) writes.push({ method: "POST", target: d.frontends(name), body: want.frontend, label: "frontend" });
  else if (!same(current.frontend, want.frontend)) writes.push({ method: "PUT", target: d.frontend(name), body: want.frontend, label: "frontend" });
  const liveBinds = new Map((current?.binds ?? []).map((b) => [b.name, b]));
  for (const b of current?.binds ?? []) {
    if (!want.binds.some((w) => w.name === b.name)) writes.push({ method: "DELETE", target: d.bind(name, b.name), label: "binds" });
  }
  want.binds.forEach((b, i) => {
    const live = liveBinds.get(b.name);
    if (!live) writes.push({ method: "POST", target: d.binds(name), body: b, label: `binds[${i}]` });
    else if (!same(live, b)) writes.push({ method: "PUT", target: d.bind(name, b.name), body: b, label: `binds[${i}]` });
  });
  for (const list of FRONTEND_LISTS) {
    writes.push(...listWrites(d, (want[list] ?? []) as unknown[], (current?.[list] ?? []) as unknown[],
      d.frontendList(name, list), (i) => d.frontendListItem(name, list, i), list));
  }
  return writes;
}

/**
 * The writes that turn list `before` into `items`, whole: v3 PUTs the list, v2 deletes index 0 as often as the
 * list is long and posts each item at its index. None when they are the same.
 */
function listWrites(d: Dialect, items: unknown[], before: unknown[], list: Target, item: (i: number) => Target, label: string): ConfigWrite[] {
  if (sameData(items, before)) return [];
  if (d.capabilities.frontendListReplace) return [{ method: "PUT", target: list, body: items, label }];
  return [
    ...before.map((): ConfigWrite => ({ method: "DELETE", target: item(0), label })),
    ...items.map((x, i): ConfigWrite => ({ method: "POST", target: list, body: { ...(x as object), index: i }, label: `${label}[${i}]` })),
  ];
}

export interface BackendChange {
  name: string;
  create?: Backend;
  replace?: Backend;
  addServers?: Server[];
  replaceServers?: Array<{ next: Server; previous: Server }>;
  deleteServers?: string[];
  /** The backend's filters become `want` (`current` is what HAProxy has; [] for a new backend). */
  filters?: { want: Filter[]; current: Filter[] };
}

export type FrontendValidation =
  | { ok: true }
  /** `label` names what DPAPI refused (e.g. "acls", "binds[1]"); `config` is the text HAProxy checked, if it got that far. */
  | { ok: false; message: string; label?: string; config?: string };

/** A map edit applied through HAProxy's runtime API. */
export type MapEdit = { op: "add" | "set"; key: string; value: string } | { op: "delete"; key: string };

/**
 * Whether DPAPI can address this map key in a URL path (GET/PUT/DELETE of one entry). Both generations reject
 * keys with any of \r \n < > * ; $ # & { } " (their path pattern), and v3 decodes a path twice, so `%` is unsafe.
 */
export function mapKeyAddressable(key: string): boolean {
  return !/[\r\n<>*;$#&{}"%]/.test(key);
}

/** Payloads up to this size are appended by DPAPI's map payload endpoint, not replaced (its socket buffer is 8 KiB). */
const ATOMIC_MAP_PAYLOAD_MIN_BYTES = 16 * 1024;

const notFoundAsUndefined = <T>(p: Promise<T>): Promise<T | undefined> =>
  p.catch((e) => { if (isDpapiError(e, "DPAPI_NOT_FOUND")) return undefined; throw e; });

/**
 * A client over a given transport and generation, with its own write queue.
 * connect() is the way in; tests use this to wrap the transport and time a race.
 */
export function buildClient(http: Http, generation: Generation, reloadTimeoutMs = 60_000): DataplaneClient {
  const d = dialects[generation];
  const g = generation;
  const queue: WriteQueue = createWriteQueue(http, { generation, dialect: d, reloadTimeoutMs });
  /** A server's configuration writes, with what HAProxy needs at runtime to match each without a reload. */
  const serverWrite = {
    add: (b: string, s: Server): ConfigWrite => ({ method: "POST", target: d.servers(b), body: s, runtime: addServerEffect(b, s) }),
    replace: (b: string, s: Server, previous?: Server): ConfigWrite =>
      ({ method: "PUT", target: d.server(b, s.name), body: s, runtime: previous ? setServerEffect(b, s, previous) : undefined }),
    delete: (b: string, n: string): ConfigWrite => ({ method: "DELETE", target: d.server(b, n), runtime: deleteServerEffect(b, n) }),
  };
  const serverSnapshots = new Map<string, { at: number; list: Promise<Server[] | undefined> }>();
  queue.onApplied(() => serverSnapshots.clear());

  const getJson = async (path: string, query?: Record<string, string>) =>
    d.unwrap(parseJson((await http.request({ method: "GET", path, query })).text));

  /**
   * Whether HAProxy would load the configuration these writes make, inside a transaction that is never committed.
   * Stand-in backends that do not exist (they are created in the same update) keep the check about the writes.
   */
  async function validateInTransaction(txn: string, writes: ConfigWrite[], standIns: Backend[]): Promise<FrontendValidation> {
    const inTxn = (t: { path: string; query?: Record<string, unknown> }) => ({ ...t.query, transaction_id: txn });
    for (const backend of standIns) {
      await http.request({ method: "POST", path: d.backends().path, query: inTxn(d.backends()), body: { json: backend } })
        .catch((e) => { if (!isDpapiError(e, "DPAPI_EXISTS")) throw e; });
    }
    for (const w of writes) {
      try {
        await http.request({ method: w.method, path: w.target.path, query: inTxn(w.target), body: w.body === undefined ? undefined : { json: w.body } });
      } catch (e) {
        if (isDpapiError(e, "DPAPI_VALIDATION") || isDpapiError(e, "DPAPI_EXISTS")) return { ok: false as const, message: e.dpapiMessage ?? e.message, label: w.label };
        throw e;
      }
    }
    const config = rawConfigText((await http.request({ method: "GET", path: common.rawConfig(g), query: { transaction_id: txn } })).text);
    try {
      await http.request({ method: "POST", path: common.rawConfig(g), query: { only_validate: true }, body: { text: config } });
      return { ok: true as const };
    } catch (e) {
      if (isDpapiError(e, "DPAPI_VALIDATION")) return { ok: false as const, message: e.dpapiMessage ?? e.message, config };
      throw e;
    }
  }

  const rawConfiguration = async () => rawConfigText((await http.request({ method: "GET", path: common.rawConfig(g) })).text);
  const side = sideFileVerbs(http, g, d, queue, rawConfiguration);

  const client: DataplaneClient = {
    ...side.verbs,
    generation,
    capabilities: d.capabilities,
    baseUrl: http.baseUrl,
    stats: () => ({ requests: http.stats.requests, ...queue.stats }),

    info: async () => parseValue(InfoSchema, await getJson(common.info(g)), "info"),
    configurationVersion: async () => Number((await http.request({ method: "GET", path: common.version(g) })).text.trim()),
    transactions: async () => parseValue(z.array(TransactionSchema), (await getJson(common.transactions(g))) ?? [], "transaction list"),
    reload: async (id) => parseAs(ReloadSchema, (await http.request({ method: "GET", path: common.reload(g, id) })).text, "reload"),
    rawConfiguration,
    reloadNow: () => queue.reloadNow(),

    getBackend: (name) => notFoundAsUndefined(getJson(d.backend(name).path).then((b) => parseValue(BackendSchema, b, "backend"))),
    listBackendFilters: async (name) => {
      const t = d.backendFilters(name);
      const list = ((await getJson(t.path, t.query as Record<string, string>)) ?? []) as Array<Record<string, unknown>>;
      return parseValue(z.array(FilterSchema), list.map(({ index: _i, ...rest }) => rest), "filter list");
    },
    listBackends: async () => parseValue(z.array(BackendSchema), (await getJson(d.backends().path)) ?? [], "backend list"),
    createBackend: (b) => queue.write({ method: "POST", target: d.backends(b.name), body: b }),
    replaceBackend: (b) => queue.write({ method: "PUT", target: d.backend(b.name), body: b }),
    deleteBackend: (name) => queue.write({ method: "DELETE", target: d.backend(name) }),

    changeBackend: (c) => {
      // v3 creates a backend and its servers in one request (nine servers were nine more requests, each a rewrite
      // of the transaction file); v2 and changes to a live backend write each server. DPAPI writes a full
      // section's servers sorted by name, and their order in haproxy.cfg matters (`balance first`, server ids,
      // hashing): only servers declared in that order go in one request.
      const withServers = Boolean(c.create && c.addServers?.length && d.capabilities.backendFullSection && inNameOrder(c.addServers));
      return queue.writeAll([
        ...(c.create ? [withServers
          ? { method: "POST" as const, target: { ...d.backends(c.name), query: { full_section: true } },
            body: { ...c.create, servers: Object.fromEntries(c.addServers!.map((s) => [s.name, s])) } }
          : { method: "POST" as const, target: d.backends(c.name), body: c.create }] : []),
        ...(c.replace ? [{ method: "PUT" as const, target: d.backend(c.name), body: c.replace }] : []),
        ...(c.deleteServers ?? []).map((n) => serverWrite.delete(c.name, n)),
        ...(c.replaceServers ?? []).map(({ next, previous }) => serverWrite.replace(c.name, next, previous)),
        // Servers of a backend created in the same change come with its reload.
        ...(withServers ? [] : (c.addServers ?? []).map((s) => ({ ...serverWrite.add(c.name, s), ...(c.create ? { runtime: undefined } : {}) }))),
        ...(c.filters ? listWrites(d, c.filters.want, c.filters.current, d.backendFilters(c.name), (i) => d.backendFilter(c.name, i), "filters") : []),
      ]);
    },

    getFrontend: async (name) => {
      const f = await notFoundAsUndefined(getJson(d.frontend(name).path));
      if (f === undefined) return undefined;
      const listOf = async (t: { path: string; query?: Record<string, unknown> }) =>
        ((await getJson(t.path, t.query as Record<string, string>)) ?? []) as Array<Record<string, unknown>>;
      const binds = await listOf(d.binds(name));
      const lists = await Promise.all(FRONTEND_LISTS.map((l) => listOf(d.frontendList(name, l))));
      // v2 returns `index` on every list item; the position in the list says the same.
      const strip = (items: Array<Record<string, unknown>>) => items.map(({ index: _i, ...rest }) => rest);
      return {
        frontend: parseValue(FrontendSchema, f, "frontend"),
        binds: parseValue(z.array(BindSchema), binds, "bind list"),
        ...Object.fromEntries(FRONTEND_LISTS.map((l, i) => [l, strip(lists[i])])),
      } as FrontendSection;
    },
    changeFrontend: (want, current) => queue.writeAll(frontendWrites(d, want, current)),
    deleteFrontend: (name) => queue.write({ method: "DELETE", target: d.frontend(name) }),
    validateFrontend: (want, current, standInBackends) =>
      queue.scratch((txn) => validateInTransaction(txn, frontendWrites(d, want, current), standInBackends.map((name) => ({ name })))),
    validateSpoeFile: (contents, engines, standInBackends) => queue.scratch(async (txn) => {
      const scratchName = `pulumi-check-${createHash("sha256").update(`${Date.now()}${Math.random()}`).digest("hex").slice(0, 12)}.conf`;
      let path: string;
      try {
        path = await side.storeSpoeFile(scratchName, contents);
      } catch (e) {
        if (isDpapiError(e, "DPAPI_VALIDATION")) return { ok: false as const, message: e.dpapiMessage ?? e.message, label: "contents" };
        throw e;
      }
      try {
        const frontend: FrontendSection = {
          frontend: { name: `pulumi_spoe_check_${scratchName.slice(14, 22)}`, mode: "http" },
          binds: [], acls: [], backend_switching_rules: [], http_request_rules: [], http_response_rules: [], tcp_request_rules: [],
          filters: engines.map((engine) => (engine ? { type: "spoe", spoe_engine: engine, spoe_config: path } : { type: "spoe", spoe_config: path })),
        };
        return await validateInTransaction(txn, frontendWrites(d, frontend), standInBackends.map((name) => ({ name, mode: "tcp" as const })));
      } finally {
        await http.request({ method: "DELETE", path: common.spoeFile(g, scratchName) }).catch(() => undefined);
      }
    }),
    frontendLive: async (name) => {
      const body = d.unwrapRuntimeInfo(await getJson(common.nativeStats(g), { type: "frontend", name }).catch(() => undefined));
      const stats = (body as { stats?: unknown[] } | undefined)?.stats;
      return Array.isArray(stats) && stats.length > 0;
    },

    getServer: (b, n) => notFoundAsUndefined((async () => {
      const t = d.server(b, n);
      return parseValue(ServerSchema, await getJson(t.path, t.query as Record<string, string>), "server");
    })()),
    listServers: async (b) => {
      const t = d.servers(b);
      return parseValue(z.array(ServerSchema), (await getJson(t.path, t.query as Record<string, string>)) ?? [], "server list");
    },
    readServer: async (b, n) => {
      let snap = serverSnapshots.get(b);
      if (!snap || Date.now() - snap.at > READ_SNAPSHOT_MS) {
        snap = { at: Date.now(), list: notFoundAsUndefined(client.listServers(b)) };
        snap.list.catch(() => serverSnapshots.delete(b));
        serverSnapshots.set(b, snap);
      }
      return (await snap.list)?.find((s) => s.name === n);
    },
    createServer: (b, s) => queue.write(serverWrite.add(b, s)),
    replaceServer: (b, s, previous) => queue.write(serverWrite.replace(b, s, previous)),
    deleteServer: (b, n) => queue.write(serverWrite.delete(b, n)),
    listRuntimeServers: (b) => notFoundAsUndefined((async () => {
      const t = d.runtimeServers(b);
      return parseValue(z.array(RuntimeServerSchema), (await getJson(t.path, t.query as Record<string, string>)) ?? [], "runtime server list");
    })()),
    getRuntimeServer: (b, n) => notFoundAsUndefined((async () => {
      const t = d.runtimeServer(b, n);
      const res = await http.request({ method: "GET", path: t.path, query: t.query });
      return parseAs(RuntimeServerSchema, res.text, "runtime server");
    })()),

    listMapFiles: async () => parseValue(z.array(MapFileSchema), (await getJson(common.storageMaps(g))) ?? [], "map file list"),
    getMapFileContents: (name) => notFoundAsUndefined(http.request({ method: "GET", path: common.storageMap(g, name), accept: "application/octet-stream" }).then((r) => r.text)),
    uploadMapFile: (name, contents) => queue.exclusive(async () => {
      const res = await http.request({ method: "POST", path: common.storageMaps(g), body: { file: { field: "file_upload", filename: name, content: contents } } });
      return parseAs(MapFileSchema, res.text, "map file");
    }),
    replaceMapFile: (name, contents, opts) => queue.exclusive(async () =>
      queue.confirm(await http.request({ method: "PUT", path: common.storageMap(g, name), query: opts?.reload ? {} : { skip_reload: true }, body: { text: contents } }))),
    deleteMapFile: (name) => queue.exclusive(async () => {
      if (!d.capabilities.mapDeleteChecksReferences) {
        // Some v2 releases delete a map haproxy.cfg still uses (the next reload then fails): check first.
        const file = (await client.listMapFiles()).find((m) => m.storage_name === name)?.file;
        const refs = file ? referencesIn(await client.rawConfiguration(), file) : [];
        if (refs.length > 0) throw referencedError(file!, "DELETE", common.storageMap(g, name), refs);
      }
      await http.request({ method: "DELETE", path: common.storageMap(g, name) });
    }),
    isMapLoaded: async (name) => {
      const res = await notFoundAsUndefined(http.request({ method: "GET", path: common.runtimeMap(g, name) }));
      return res !== undefined;
    },
    listMapEntries: async (map) => {
      const t = d.mapEntries(map);
      return parseValue(z.array(MapEntrySchema), parseJson((await http.request({ method: "GET", path: t.path, query: t.query })).text) ?? [], "map entries");
    },
    addMapEntry: (map, key, value) => queue.exclusive(async () => {
      const t = d.mapEntries(map);
      await http.request({ method: "POST", path: t.path, query: { ...t.query, force_sync: true }, body: { json: { key, value } } });
    }),
    setMapEntry: (map, key, value) => queue.exclusive(async () => {
      const t = d.mapEntry(map, key);
      await http.request({ method: "PUT", path: t.path, query: { ...t.query, force_sync: true }, body: { json: { value } } });
    }),
    deleteMapEntry: (map, key) => queue.exclusive(async () => {
      const t = d.mapEntry(map, key);
      await http.request({ method: "DELETE", path: t.path, query: { ...t.query, force_sync: true } });
    }),
    applyMapEdits: (map, edits) => queue.exclusive(async () => {
      const bad = edits.find((e) => e.op !== "add" && !mapKeyAddressable(e.key));
      if (bad) throw new DpapiError({ code: "DPAPI_UNSUPPORTED", message: `map key ${JSON.stringify(bad.key)} cannot be addressed through the Data Plane API` });
      const one = async (e: MapEdit) => {
        if (e.op === "add") {
          const t = d.mapEntries(map);
          await http.request({ method: "POST", path: t.path, query: t.query, body: { json: { key: e.key, value: e.value } } });
        } else {
          const t = d.mapEntry(map, e.key);
          await http.request({ method: e.op === "set" ? "PUT" : "DELETE", path: t.path, query: t.query, body: e.op === "set" ? { json: { value: e.value } } : undefined });
        }
      };
      const unordered = edits.filter((e) => e.op !== "add");
      let next = 0;
      await Promise.all(Array.from({ length: Math.min(8, unordered.length) }, async () => {
        while (next < unordered.length) await one(unordered[next++]);
      }));
      for (const e of edits) if (e.op === "add") await one(e);
    }),
    replaceRuntimeMap: (map, entries) => queue.exclusive(async () => {
      const bytes = entries.reduce((n, e) => n + Buffer.byteLength(e.key) + Buffer.byteLength(e.value) + 2, 0);
      if (bytes <= ATOMIC_MAP_PAYLOAD_MIN_BYTES) return "too-small" as const;
      await http.request({ method: "PUT", path: common.runtimeMap(g, map), body: { json: entries.map(({ key, value }) => ({ key, value })) } });
      const live = await client.listMapEntries(map);
      const same = live.length === entries.length && live.every((e, i) => e.key === entries[i].key && e.value === entries[i].value);
      if (!same) {
        throw new DpapiError({ code: "DPAPI_UNSUPPORTED", method: "PUT", path: common.runtimeMap(g, map),
          message: `HAProxy did not replace the entries of map ${map} at once (it has ${live.length}, expected ${entries.length})`,
          hint: "atomic map replacement needs HAProxy >= 2.4; the map file must be replaced and HAProxy reloaded" });
      }
      return "replaced" as const;
    }),

    listCertificates: async () => parseValue(z.array(SslCertificateSchema), (await getJson(common.storageCerts(g))) ?? [], "certificate list"),
    getCertificate: (name) => notFoundAsUndefined(getJson(common.storageCert(g, name)).then((c) => parseValue(SslCertificateSchema, c, "certificate"))),
    uploadCertificate: (name, pem) => queue.exclusive(async () => {
      const res = await http.request({ method: "POST", path: common.storageCerts(g), body: { file: { field: "file_upload", filename: name, content: pem } } });
      const confirmed = await queue.confirm(res);
      return { ...parseAs(SslCertificateSchema, res.text, "certificate"), reloaded: confirmed.reloaded };
    }),
    replaceCertificate: (name, pem) => queue.exclusive(async () =>
      queue.confirm(await http.request({ method: "PUT", path: common.storageCert(g, name), body: { text: pem } }))),
    deleteCertificate: (name) => queue.exclusive(async () =>
      queue.confirm(await http.request({ method: "DELETE", path: common.storageCert(g, name) }))),

    listConsuls: async () => parseValue(z.array(ConsulSchema), (await getJson(common.consuls(g))) ?? [], "consul list"),
    getConsul: (id) => notFoundAsUndefined(getJson(common.consul(g, id)).then(
      (c) => parseValue(ConsulSchema, c, "consul"), (e) => { throw consulNotFound(e, id); })),
    createConsul: (c) => queue.exclusive(async () =>
      parseValue(ConsulSchema, d.unwrap(parseJson((await http.request({ method: "POST", path: common.consuls(g), body: { json: c } })).text)), "consul")),
    replaceConsul: async (id, c) => {
      // PUT reads the id from the body, not the path.
      const put = (body: Consul) => queue.exclusive(async () => {
        const res = await http.request({ method: "PUT", path: common.consul(g, id), body: { json: { ...body, id } } }).catch((e) => { throw consulNotFound(e, id); });
        return parseValue(ConsulSchema, d.unwrap(parseJson(res.text)), "consul");
      });
      if (!c.enabled) {
        const live = await client.getConsul(id);
        if (!live) throw new DpapiError({ code: "DPAPI_NOT_FOUND", method: "GET", path: common.consul(g, id), message: `no service discovery ${id} in the Data Plane API` });
        if (live.enabled) {
          await put({ ...live, retry_timeout: WATCHER_PARKED_S });
          await sleep(watcherParkingMs(live.retry_timeout));
        }
      }
      return put(c);
    },
    deleteConsul: (id) => queue.exclusive(async () => {
      await http.request({ method: "DELETE", path: common.consul(g, id) }).catch((e) => { throw consulNotFound(e, id); });
    }),
  };
  return client;
}

const clients = new Map<string, Promise<DataplaneClient>>();

/**
 * One client per endpoint and identity in this process: the API generation is
 * probed once, and every resource shares one write queue (group commit).
 */
export function connect(input: ConnectionInput): Promise<DataplaneClient> {
  const parsed = ConnectionSchema.safeParse(input);
  if (!parsed.success) {
    throw new DpapiError({ code: "DPAPI_UNSUPPORTED", message: `invalid Data Plane API connection: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}` });
  }
  const conn = parsed.data;
  for (const risk of connectionRisks(conn)) warnOnce(risk);
  const identity = createHash("sha256").update(JSON.stringify(conn)).digest("hex");
  let client = clients.get(identity);
  if (!client) {
    const http = createHttp(conn);
    client = detectGeneration(http).then((g) => buildClient(http, g, conn.reloadTimeoutMs));
    client.catch(() => clients.delete(identity));
    clients.set(identity, client);
  }
  return client;
}

/** Whether the servers are in the order DPAPI sorts a full section's servers (Go's byte order of their names). */
function inNameOrder(servers: Server[]): boolean {
  return servers.every((s, i) => i === 0 || Buffer.compare(Buffer.from(servers[i - 1].name), Buffer.from(s.name)) < 0);
}
