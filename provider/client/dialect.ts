// Everything that differs between the /v2 and /v3 APIs, chosen once per
// endpoint after probing: paths, the v2 `{_version, data}` envelope, the
// Consul list wrapper, the shape of runtime info. Nothing else branches on
// the generation.
import type { Query } from "./http";
import type { FrontendList } from "./schemas";

export type Generation = "v2" | "v3";

/**
 * An endpoint, and the haproxy.cfg section a write to it edits (`backends/api`, `frontends/web`), when it edits
 * one backend or frontend: writes to different sections may share a transaction side by side.
 */
export interface Target { path: string; query?: Query; section?: string }

/** The section of a write to backend `b` (undefined: a write that edits no one backend, such as a bare collection). */
const inBackend = (b: string | undefined) => (b === undefined ? undefined : `backends/${b}`);
const inFrontend = (f: string | undefined) => (f === undefined ? undefined : `frontends/${f}`);

export interface Dialect {
  generation: Generation;
  /** Capabilities the resources ask about instead of the generation. */
  capabilities: {
    /** A PUT of a whole frontend list (ACLs, rules) replaces it in one request. */
    frontendListReplace: boolean;
    /** DELETE of a referenced map is refused by DPAPI itself (v2 deletes it anyway). */
    mapDeleteChecksReferences: boolean;
    /** Storage certificate writes accept skip_reload. */
    sslSkipReload: boolean;
    /** The runtime server add passes every option to HAProxy (DPAPI v2.9 passes only the first it finds). */
    runtimeAddTakesOptions: boolean;
    /** A general file's PUT takes a multipart upload (v3) rather than the text itself (v2). */
    generalReplaceMultipart: boolean;
    /** A backend POST with `full_section` creates its servers too (a map keyed by name), in one request. */
    backendFullSection: boolean;
  };
  /** The backend collection; `creating` names the backend a POST to it creates. */
  backends(creating?: string): Target;
  backend(name: string): Target;
  servers(backend: string): Target;
  server(backend: string, name: string): Target;
  runtimeServer(backend: string, name: string): Target;
  runtimeServers(backend: string): Target;
  /** The frontend collection; `creating` names the frontend a POST to it creates. */
  frontends(creating?: string): Target;
  frontend(name: string): Target;
  binds(frontend: string): Target;
  bind(frontend: string, name: string): Target;
  /** One of a frontend's lists (ACLs, rules): v3 nests it and replaces it whole; v2 addresses one index per request. */
  frontendList(frontend: string, list: FrontendList): Target;
  frontendListItem(frontend: string, list: FrontendList, index: number): Target;
  /** A backend's filters: nested under it in v3, a parent query in v2 (as the frontend lists). */
  backendFilters(backend: string): Target;
  backendFilter(backend: string, index: number): Target;
  mapEntries(map: string): Target;
  mapEntry(map: string, key: string): Target;
  /** Unwraps the body of a GET of configuration or discovery objects. */
  unwrap(body: unknown): unknown;
  /** Runtime info is an array in v2, an object in v3. */
  unwrapRuntimeInfo(body: unknown): unknown;
}

const seg = encodeURIComponent;
const CONF = "/services/haproxy/configuration";
const RUNTIME = "/services/haproxy/runtime";

const v3: Dialect = {
  generation: "v3",
  capabilities: { frontendListReplace: true, mapDeleteChecksReferences: true, sslSkipReload: true, runtimeAddTakesOptions: true, generalReplaceMultipart: true, backendFullSection: true },
  backends: (creating) => ({ path: `/v3${CONF}/backends`, section: inBackend(creating) }),
  backend: (n) => ({ path: `/v3${CONF}/backends/${seg(n)}`, section: inBackend(n) }),
  servers: (b) => ({ path: `/v3${CONF}/backends/${seg(b)}/servers`, section: inBackend(b) }),
  server: (b, n) => ({ path: `/v3${CONF}/backends/${seg(b)}/servers/${seg(n)}`, section: inBackend(b) }),
  runtimeServer: (b, n) => ({ path: `/v3${RUNTIME}/backends/${seg(b)}/servers/${seg(n)}`, section: inBackend(b) }),
  runtimeServers: (b) => ({ path: `/v3${RUNTIME}/backends/${seg(b)}/servers`, section: inBackend(b) }),
  frontends: (creating) => ({ path: `/v3${CONF}/frontends`, section: inFrontend(creating) }),
  frontend: (n) => ({ path: `/v3${CONF}/frontends/${seg(n)}`, section: inFrontend(n) }),
  binds: (f) => ({ path: `/v3${CONF}/frontends/${seg(f)}/binds`, section: inFrontend(f) }),
  bind: (f, n) => ({ path: `/v3${CONF}/frontends/${seg(f)}/binds/${seg(n)}`, section: inFrontend(f) }),
  frontendList: (f, l) => ({ path: `/v3${CONF}/frontends/${seg(f)}/${l}`, section: inFrontend(f) }),
  frontendListItem: (f, l, i) => ({ path: `/v3${CONF}/frontends/${seg(f)}/${l}/${i}`, section: inFrontend(f) }),
  backendFilters: (b) => ({ path: `/v3${CONF}/backends/${seg(b)}/filters`, section: inBackend(b) }),
  backendFilter: (b, i) => ({ path: `/v3${CONF}/backends/${seg(b)}/filters/${i}`, section: inBackend(b) }),
  mapEntries: (m) => ({ path: `/v3${RUNTIME}/maps/${seg(m)}/entries` }),
  mapEntry: (m, k) => ({ path: `/v3${RUNTIME}/maps/${seg(m)}/entries/${seg(k)}` }),
  unwrap: (body) => body,
  unwrapRuntimeInfo: (body) => body,
};

function unwrapData(body: unknown): unknown {
  return body && typeof body === "object" && !Array.isArray(body) && "data" in body ? (body as { data: unknown }).data : body;
}

/** v2 names a list's frontend as `frontend=` for switching rules and as parent_type/parent_name for the rest. */
function v2ListParent(frontend: string, list: FrontendList): Record<string, string> {
  return list === "backend_switching_rules" ? { frontend } : { parent_type: "frontend", parent_name: frontend };
}

const v2: Dialect = {
  generation: "v2",
  capabilities: { frontendListReplace: false, mapDeleteChecksReferences: false, sslSkipReload: false, runtimeAddTakesOptions: false, generalReplaceMultipart: false, backendFullSection: false },
  backends: (creating) => ({ path: `/v2${CONF}/backends`, section: inBackend(creating) }),
  backend: (n) => ({ path: `/v2${CONF}/backends/${seg(n)}`, section: inBackend(n) }),
  servers: (b) => ({ path: `/v2${CONF}/servers`, query: { backend: b }, section: inBackend(b) }),
  server: (b, n) => ({ path: `/v2${CONF}/servers/${seg(n)}`, query: { backend: b }, section: inBackend(b) }),
  runtimeServer: (b, n) => ({ path: `/v2${RUNTIME}/servers/${seg(n)}`, query: { backend: b }, section: inBackend(b) }),
  runtimeServers: (b) => ({ path: `/v2${RUNTIME}/servers`, query: { backend: b }, section: inBackend(b) }),
  frontends: (creating) => ({ path: `/v2${CONF}/frontends`, section: inFrontend(creating) }),
  frontend: (n) => ({ path: `/v2${CONF}/frontends/${seg(n)}`, section: inFrontend(n) }),
  binds: (f) => ({ path: `/v2${CONF}/binds`, query: { frontend: f }, section: inFrontend(f) }),
  bind: (f, n) => ({ path: `/v2${CONF}/binds/${seg(n)}`, query: { frontend: f }, section: inFrontend(f) }),
  frontendList: (f, l) => ({ path: `/v2${CONF}/${l}`, query: v2ListParent(f, l), section: inFrontend(f) }),
  frontendListItem: (f, l, i) => ({ path: `/v2${CONF}/${l}/${i}`, query: v2ListParent(f, l), section: inFrontend(f) }),
  backendFilters: (b) => ({ path: `/v2${CONF}/filters`, query: { parent_type: "backend", parent_name: b }, section: inBackend(b) }),
  backendFilter: (b, i) => ({ path: `/v2${CONF}/filters/${i}`, query: { parent_type: "backend", parent_name: b }, section: inBackend(b) }),
  mapEntries: (m) => ({ path: `/v2${RUNTIME}/maps_entries`, query: { map: m } }),
  mapEntry: (m, k) => ({ path: `/v2${RUNTIME}/maps_entries/${seg(k)}`, query: { map: m } }),
  unwrap: unwrapData,
  unwrapRuntimeInfo: (body) => (Array.isArray(body) ? body[0] : body),
};

export const dialects: Record<Generation, Dialect> = { v2, v3 };

/** Paths that are the same in both generations, under the generation prefix. */
export const common = {
  info: (g: Generation) => `/${g}/info`,
  version: (g: Generation) => `/${g}${CONF}/version`,
  transactions: (g: Generation) => `/${g}/services/haproxy/transactions`,
  transaction: (g: Generation, id: string) => `/${g}/services/haproxy/transactions/${seg(id)}`,
  reload: (g: Generation, id: string) => `/${g}/services/haproxy/reloads/${seg(id)}`,
  reloads: (g: Generation) => `/${g}/services/haproxy/reloads`,
  storageMaps: (g: Generation) => `/${g}/services/haproxy/storage/maps`,
  storageMap: (g: Generation, n: string) => `/${g}/services/haproxy/storage/maps/${seg(n)}`,
  runtimeMaps: (g: Generation) => `/${g}${RUNTIME}/maps`,
  runtimeMap: (g: Generation, n: string) => `/${g}${RUNTIME}/maps/${seg(n)}`,
  storageCerts: (g: Generation) => `/${g}/services/haproxy/storage/ssl_certificates`,
  storageCert: (g: Generation, n: string) => `/${g}/services/haproxy/storage/ssl_certificates/${seg(n)}`,
  storageGeneral: (g: Generation) => `/${g}/services/haproxy/storage/general`,
  storageGeneralFile: (g: Generation, n: string) => `/${g}/services/haproxy/storage/general/${seg(n)}`,
  spoeFiles: (g: Generation) => `/${g}/services/haproxy/spoe/spoe_files`,
  spoeFile: (g: Generation, n: string) => `/${g}/services/haproxy/spoe/spoe_files/${seg(n)}`,
  consuls: (g: Generation) => `/${g}/service_discovery/consul`,
  consul: (g: Generation, id: string) => `/${g}/service_discovery/consul/${seg(id)}`,
  runtimeInfo: (g: Generation) => `/${g}${RUNTIME}/info`,
  nativeStats: (g: Generation) => `/${g}/services/haproxy/stats/native`,
  rawConfig: (g: Generation) => `/${g}${CONF}/raw`,
};
