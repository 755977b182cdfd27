// The only public face of the Data Plane API client. Resources call these
// domain verbs; generation differences, envelopes, versions, transactions,
// retries and reload confirmation stay behind them.
import { createHash } from "node:crypto";
import { z } from "zod";
import { DpapiError, isDpapiError } from "./errors";
import { createHttp, type Http } from "./http";
import { common, dialects, type Dialect, type Generation } from "./dialect";
import { ConnectionSchema, type ConnectionInput } from "./options";
import { parseAs, parseJson, parseValue } from "./parse";
import {
  BackendSchema, ConsulSchema, InfoSchema, MapEntrySchema, MapFileSchema, ReloadSchema, RuntimeServerSchema,
  ServerSchema, SslCertificateSchema, TransactionSchema,
  type Backend, type Consul, type Info, type MapEntry, type MapFile, type Reload, type RuntimeServer, type Server,
  type SslCertificate, type Transaction,
} from "./schemas";
import { createWriteQueue, type WriteQueue, type WriteResult } from "./writes";

export * from "./errors";
export * from "./schemas";
export type { Generation } from "./dialect";
export type { WriteResult } from "./writes";
export { ConnectionSchema, type Connection, type ConnectionInput } from "./options";

/** Server fields DPAPI applies through HAProxy's runtime API on a lone PUT (DP handlers/runtime.go). */
const RUNTIME_SERVER_FIELDS = new Set(["weight", "address", "port", "maintenance", "agent-check", "agent-addr", "agent-send", "health_check_port"]);

export interface DataplaneClient {
  readonly generation: Generation;
  readonly capabilities: Dialect["capabilities"];
  readonly baseUrl: string;
  /** Requests, transactions and reloads caused by this client (tests, benchmark). */
  stats(): { requests: number; transactions: number; reloads: number; versionRetries: number; replays: number };

  info(): Promise<Info>;
  configurationVersion(): Promise<number>;
  transactions(): Promise<Transaction[]>;
  reload(id: string): Promise<Reload>;
  /** The raw haproxy.cfg as DPAPI sees it. */
  rawConfiguration(): Promise<string>;

  getBackend(name: string): Promise<Backend | undefined>;
  listBackends(): Promise<Backend[]>;
  createBackend(backend: Backend): Promise<WriteResult>;
  replaceBackend(backend: Backend): Promise<WriteResult>;
  deleteBackend(name: string): Promise<WriteResult>;

  getServer(backend: string, name: string): Promise<Server | undefined>;
  listServers(backend: string): Promise<Server[]>;
  createServer(backend: string, server: Server): Promise<WriteResult>;
  /** Replaces a server; when only runtime-capable fields differ from `previous`, HAProxy is not reloaded. */
  replaceServer(backend: string, server: Server, previous?: Server): Promise<WriteResult>;
  deleteServer(backend: string, name: string): Promise<WriteResult>;
  getRuntimeServer(backend: string, name: string): Promise<RuntimeServer | undefined>;

  listMapFiles(): Promise<MapFile[]>;
  getMapFileContents(name: string): Promise<string | undefined>;
  uploadMapFile(name: string, contents: string): Promise<MapFile>;
  replaceMapFile(name: string, contents: string): Promise<WriteResult>;
  deleteMapFile(name: string): Promise<void>;
  /** Is the map loaded by HAProxy (referenced in haproxy.cfg and reloaded)? */
  isMapLoaded(name: string): Promise<boolean>;
  listMapEntries(map: string): Promise<MapEntry[]>;
  addMapEntry(map: string, key: string, value: string): Promise<void>;
  setMapEntry(map: string, key: string, value: string): Promise<void>;
  deleteMapEntry(map: string, key: string): Promise<void>;

  listCertificates(): Promise<SslCertificate[]>;
  getCertificate(name: string): Promise<SslCertificate | undefined>;
  uploadCertificate(name: string, pem: string): Promise<SslCertificate & { reloadId?: string }>;
  replaceCertificate(name: string, pem: string): Promise<WriteResult>;
  deleteCertificate(name: string): Promise<WriteResult>;

  listConsuls(): Promise<Consul[]>;
  getConsul(id: string): Promise<Consul | undefined>;
  createConsul(consul: Consul): Promise<Consul>;
  replaceConsul(id: string, consul: Consul): Promise<Consul>;
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

const notFoundAsUndefined = <T>(p: Promise<T>): Promise<T | undefined> =>
  p.catch((e) => { if (isDpapiError(e, "DPAPI_NOT_FOUND")) return undefined; throw e; });

function build(http: Http, generation: Generation, reloadTimeoutMs: number): DataplaneClient {
  const d = dialects[generation];
  const g = generation;
  const queue: WriteQueue = createWriteQueue(http, { generation, reloadTimeoutMs });

  const getJson = async (path: string, query?: Record<string, string>) =>
    d.unwrap(parseJson((await http.request({ method: "GET", path, query })).text));

  const client: DataplaneClient = {
    generation,
    capabilities: d.capabilities,
    baseUrl: http.baseUrl,
    stats: () => ({ requests: http.stats.requests, ...queue.stats }),

    info: async () => parseValue(InfoSchema, await getJson(common.info(g)), "info"),
    configurationVersion: async () => Number((await http.request({ method: "GET", path: common.version(g) })).text.trim()),
    transactions: async () => parseValue(z.array(TransactionSchema), (await getJson(common.transactions(g))) ?? [], "transaction list"),
    reload: async (id) => parseAs(ReloadSchema, (await http.request({ method: "GET", path: common.reload(g, id) })).text, "reload"),
    rawConfiguration: async () => {
      const body = await getJson(common.rawConfig(g));
      return typeof body === "string" ? body : String((body as { data?: unknown })?.data ?? "");
    },

    getBackend: (name) => notFoundAsUndefined(getJson(d.backend(name).path).then((b) => parseValue(BackendSchema, b, "backend"))),
    listBackends: async () => parseValue(z.array(BackendSchema), (await getJson(d.backends().path)) ?? [], "backend list"),
    createBackend: (b) => queue.write({ method: "POST", target: d.backends(), body: b }),
    replaceBackend: (b) => queue.write({ method: "PUT", target: d.backend(b.name), body: b }),
    deleteBackend: (name) => queue.write({ method: "DELETE", target: d.backend(name) }),

    getServer: (b, n) => notFoundAsUndefined((async () => {
      const t = d.server(b, n);
      return parseValue(ServerSchema, await getJson(t.path, t.query as Record<string, string>), "server");
    })()),
    listServers: async (b) => {
      const t = d.servers(b);
      return parseValue(z.array(ServerSchema), (await getJson(t.path, t.query as Record<string, string>)) ?? [], "server list");
    },
    createServer: (b, s) => queue.write({ method: "POST", target: d.servers(b), body: s }),
    replaceServer: (b, s, previous) => {
      const changed = previous ? changedKeys(previous, s) : ["*"];
      const runtimeOnly = changed.every((k) => RUNTIME_SERVER_FIELDS.has(k));
      return queue.write({ method: "PUT", target: d.server(b, s.name), body: s, solo: runtimeOnly });
    },
    deleteServer: (b, n) => queue.write({ method: "DELETE", target: d.server(b, n) }),
    getRuntimeServer: (b, n) => notFoundAsUndefined((async () => {
      const t = d.runtimeServer(b, n);
      const res = await http.request({ method: "GET", path: t.path, query: t.query });
      return parseAs(RuntimeServerSchema, res.text, "runtime server");
    })()),

    listMapFiles: async () => parseValue(z.array(MapFileSchema), (await getJson(common.storageMaps(g))) ?? [], "map file list"),
    getMapFileContents: (name) => notFoundAsUndefined(http.request({ method: "GET", path: common.storageMap(g, name) }).then((r) => r.text)),
    uploadMapFile: (name, contents) => queue.exclusive(async () => {
      const res = await http.request({ method: "POST", path: common.storageMaps(g), body: { file: { field: "file_upload", filename: name, content: contents } } });
      return parseAs(MapFileSchema, res.text, "map file");
    }),
    replaceMapFile: (name, contents) => queue.exclusive(async () =>
      queue.confirm(await http.request({ method: "PUT", path: common.storageMap(g, name), query: { skip_reload: true }, body: { text: contents } }))),
    deleteMapFile: (name) => queue.exclusive(async () => {
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

    listCertificates: async () => parseValue(z.array(SslCertificateSchema), (await getJson(common.storageCerts(g))) ?? [], "certificate list"),
    getCertificate: (name) => notFoundAsUndefined(getJson(common.storageCert(g, name)).then((c) => parseValue(SslCertificateSchema, c, "certificate"))),
    uploadCertificate: (name, pem) => queue.exclusive(async () => {
      const res = await http.request({ method: "POST", path: common.storageCerts(g), body: { file: { field: "file_upload", filename: name, content: pem } } });
      const confirmed = await queue.confirm(res);
      return { ...parseAs(SslCertificateSchema, res.text, "certificate"), reloadId: confirmed.reloadId };
    }),
    replaceCertificate: (name, pem) => queue.exclusive(async () =>
      queue.confirm(await http.request({ method: "PUT", path: common.storageCert(g, name), body: { text: pem } }))),
    deleteCertificate: (name) => queue.exclusive(async () =>
      queue.confirm(await http.request({ method: "DELETE", path: common.storageCert(g, name) }))),

    listConsuls: async () => parseValue(z.array(ConsulSchema), (await getJson(common.consuls(g))) ?? [], "consul list"),
    getConsul: (id) => getJson(common.consul(g, id)).then(
      (c) => parseValue(ConsulSchema, c, "consul"),
      // DPAPI answers 500 "instance not found" for an unknown id (spec says 404).
      (e) => { if (isDpapiError(e) && (e.status === 404 || /not found/i.test(e.dpapiMessage ?? ""))) return undefined; throw e; }),
    createConsul: (c) => queue.exclusive(async () =>
      parseValue(ConsulSchema, d.unwrap(parseJson((await http.request({ method: "POST", path: common.consuls(g), body: { json: c } })).text)), "consul")),
    // PUT reads the id from the body, not the path.
    replaceConsul: (id, c) => queue.exclusive(async () =>
      parseValue(ConsulSchema, d.unwrap(parseJson((await http.request({ method: "PUT", path: common.consul(g, id), body: { json: { ...c, id } } })).text)), "consul")),
    deleteConsul: (id) => queue.exclusive(async () => { await http.request({ method: "DELETE", path: common.consul(g, id) }); }),
  };
  return client;
}

function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
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
  const identity = createHash("sha256").update(JSON.stringify(conn)).digest("hex");
  let client = clients.get(identity);
  if (!client) {
    const http = createHttp(conn);
    client = detectGeneration(http).then((g) => build(http, g, conn.reloadTimeoutMs));
    client.catch(() => clients.delete(identity));
    clients.set(identity, client);
  }
  return client;
}
