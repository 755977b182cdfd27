// Everything that differs between the /v2 and /v3 APIs, chosen once per
// endpoint after probing: paths, the v2 `{_version, data}` envelope, the
// Consul list wrapper, the shape of runtime info. Nothing else branches on
// the generation.
import type { Query } from "./http";

export type Generation = "v2" | "v3";

export interface Target { path: string; query?: Query }

export interface Dialect {
  generation: Generation;
  /** Capabilities the resources ask about instead of the generation. */
  capabilities: {
    /** DELETE of a referenced map is refused by DPAPI itself (v2 deletes it anyway). */
    mapDeleteChecksReferences: boolean;
    /** Storage certificate writes accept skip_reload. */
    sslSkipReload: boolean;
    /** The runtime server add passes every option to HAProxy (DPAPI v2.9 passes only the first it finds). */
    runtimeAddTakesOptions: boolean;
  };
  backends(): Target;
  backend(name: string): Target;
  servers(backend: string): Target;
  server(backend: string, name: string): Target;
  runtimeServer(backend: string, name: string): Target;
  runtimeServers(backend: string): Target;
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
  capabilities: { mapDeleteChecksReferences: true, sslSkipReload: true, runtimeAddTakesOptions: true },
  backends: () => ({ path: `/v3${CONF}/backends` }),
  backend: (n) => ({ path: `/v3${CONF}/backends/${seg(n)}` }),
  servers: (b) => ({ path: `/v3${CONF}/backends/${seg(b)}/servers` }),
  server: (b, n) => ({ path: `/v3${CONF}/backends/${seg(b)}/servers/${seg(n)}` }),
  runtimeServer: (b, n) => ({ path: `/v3${RUNTIME}/backends/${seg(b)}/servers/${seg(n)}` }),
  runtimeServers: (b) => ({ path: `/v3${RUNTIME}/backends/${seg(b)}/servers` }),
  mapEntries: (m) => ({ path: `/v3${RUNTIME}/maps/${seg(m)}/entries` }),
  mapEntry: (m, k) => ({ path: `/v3${RUNTIME}/maps/${seg(m)}/entries/${seg(k)}` }),
  unwrap: (body) => body,
  unwrapRuntimeInfo: (body) => body,
};

function unwrapData(body: unknown): unknown {
  return body && typeof body === "object" && !Array.isArray(body) && "data" in body ? (body as { data: unknown }).data : body;
}

const v2: Dialect = {
  generation: "v2",
  capabilities: { mapDeleteChecksReferences: false, sslSkipReload: false, runtimeAddTakesOptions: false },
  backends: () => ({ path: `/v2${CONF}/backends` }),
  backend: (n) => ({ path: `/v2${CONF}/backends/${seg(n)}` }),
  servers: (b) => ({ path: `/v2${CONF}/servers`, query: { backend: b } }),
  server: (b, n) => ({ path: `/v2${CONF}/servers/${seg(n)}`, query: { backend: b } }),
  runtimeServer: (b, n) => ({ path: `/v2${RUNTIME}/servers/${seg(n)}`, query: { backend: b } }),
  runtimeServers: (b) => ({ path: `/v2${RUNTIME}/servers`, query: { backend: b } }),
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
  consuls: (g: Generation) => `/${g}/service_discovery/consul`,
  consul: (g: Generation, id: string) => `/${g}/service_discovery/consul/${seg(id)}`,
  runtimeInfo: (g: Generation) => `/${g}${RUNTIME}/info`,
  rawConfig: (g: Generation) => `/${g}${CONF}/raw`,
};
