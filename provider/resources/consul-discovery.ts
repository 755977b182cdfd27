// The life of a ConsulDiscovery: the Data Plane API polls a Consul catalog and
// fills one backend per service (`consul-backend-<address>-<port>-<service>`)
// with servers, growing and shrinking slots as instances come and go.
//
// What this resource adds on top of DPAPI's own watcher:
// - `backendNames`, read from the same catalog with the same filters, so a
//   program can route to the backends DPAPI will create;
// - Consul is asked first, so an unreachable Consul or a refused token fails
//   `up` with a clear error instead of registering a watcher that dies at its
//   first poll;
// - an optional bounded wait until HAProxy runs what the catalog says;
// - read/refresh detects the stalled watcher of dataplaneapi#317 (any Consul
//   error stops it for good while DPAPI keeps reporting `enabled: true`): when
//   the catalog and DPAPI's backends disagree for longer than DPAPI needs to
//   apply a change, `enabled` is reported as false, so the next `up` PUTs the
//   definition again, which restarts the watcher.
//
// The ACL token is a secret input: it reaches DPAPI and Consul only. State keeps
// its SHA-256, never the token (the SDK's debug log prints outputs, secrets
// included); refresh reads the token from DPAPI's definition, and one changed
// there shows as a different digest, never as its value.
import { createHash } from "node:crypto";
import { types } from "node:util";
import { z } from "zod";
import { EventEmitter } from "node:events";
import Consul from "consul";
import { DpapiError, NAME_PATTERN, isDpapiError, type Consul as ConsulWire, type DataplaneClient } from "../client";
import { clientFor } from "../connection";
import {
  ResourceConnectionSchema, UNKNOWN, checkInputs, compact, diffInputs, inputsOfState, toState, withoutProvider,
  type CheckResult, type DiffResult,
  removeObject,
} from "./common";

/** DPAPI raises a smaller slot base or linear increment to this (dataplaneapi#265, discovery/utils.go). */
export const MIN_SLOTS = 10;

const SLOTS_RULE = `must be at least ${MIN_SLOTS}: DPAPI silently raises smaller values to ${MIN_SLOTS} (dataplaneapi#265), so write ${MIN_SLOTS} or more to say what HAProxy gets`;

export const ConsulDiscoveryInputsSchema = z.strictObject({
  address: z.string().regex(/^[^\s:/]+$/, "must be a host name or IP address, without scheme, port or whitespace")
    .describe("Host name or IP address of the Consul agent that the Data Plane API polls (as DPAPI reaches it). Part of every backend name. Changing it replaces the discovery."),
  port: z.number().int().min(1, "must be from 1 to 65535").max(65535, "must be from 1 to 65535").default(8500)
    .describe("HTTP(S) port of the Consul agent. Part of every backend name. Default: 8500. Changing it replaces the discovery."),
  scheme: z.enum(["http", "https"]).default("http")
    .describe("How DPAPI talks to Consul: http or https (https uses the system CAs, no client certificate). Default: http."),
  token: z.string().min(1).optional()
    .describe("Consul ACL token, sent as X-Consul-Token by DPAPI and by this provider. Needs service:read and node:read on the services to discover. Stored only as a secret."),
  enabled: z.boolean().default(true)
    .describe("Whether DPAPI polls Consul. Reported as false by refresh when DPAPI's watcher has stalled (dataplaneapi#317); `pulumi up` then restarts it. Default: true."),
  retryTimeout: z.number().int().min(1, "must be at least 1 second").default(10)
    .describe("Seconds between two polls of the catalog by DPAPI. A registration reaches HAProxy after one to two polls plus DPAPI's reload delay. Default: 10."),
  serviceAllowlist: z.array(z.string().min(1)).optional()
    .describe("Only these Consul services get a backend. Exclusive with serviceDenylist."),
  serviceDenylist: z.array(z.string().min(1)).optional()
    .describe("Every service except these gets a backend (the `consul` service itself never does). Exclusive with serviceAllowlist."),
  serviceNameRegexp: z.string().min(1)
    .refine((s) => !s.includes("\""), "must not contain a double quote (DPAPI puts it inside a quoted Consul filter expression)")
    .refine((s) => { try { new RegExp(s); return true; } catch { return false; } }, "must be a valid regular expression")
    .optional()
    .describe("Only services whose name matches this regular expression (Consul filter `ServiceName matches \"<re>\"`, RE2 syntax)."),
  healthCheckPolicy: z.enum(["none", "any", "all", "min"]).default("none")
    .describe("Which instances become servers: none = every instance; any = at least one passing check; all = every check passing; min = at least healthCheckPolicyMin passing checks. Node checks (serfHealth) count; an instance without any check is dropped under any/all/min. Default: none."),
  healthCheckPolicyMin: z.number().int().min(1, "must be at least 1").optional()
    .describe("Passing checks an instance needs, with healthCheckPolicy \"min\" (and only then)."),
  serverSlots: z.strictObject({
    /** Server lines a new backend starts with (spares wait in maintenance at 127.0.0.1:80), and the fewest it shrinks back to. At least 10. Default: 10. */
    base: z.number().int().min(MIN_SLOTS, SLOTS_RULE).default(MIN_SLOTS)
      .describe(`Server lines a new backend starts with (spares are in maintenance at 127.0.0.1:80) and the fewest it shrinks back to. At least ${MIN_SLOTS}. Default: ${MIN_SLOTS}.`),
    /** How slots grow when every slot is taken: `exponential` doubles, `linear` adds `increment`. Default: exponential. */
    growthType: z.enum(["linear", "exponential"]).default("exponential")
      .describe("How slots grow when every slot is taken: exponential doubles; linear adds `increment`. Always sent, because DPAPI 2.x defaults to linear and 3.x to exponential. Default: exponential."),
    /** Slots added at a time by linear growth. At least 10. Default: 10. */
    increment: z.number().int().min(MIN_SLOTS, SLOTS_RULE).default(MIN_SLOTS)
      .describe(`Slots added at a time by linear growth. At least ${MIN_SLOTS}. Default: ${MIN_SLOTS}.`),
  }).prefault({}).describe("Server slot sizing. Adding slots needs a reload of HAProxy; filling a free slot does too with DPAPI's discovery (it commits a transaction each poll that changes servers)."),
  defaults: z.string().regex(NAME_PATTERN, "must be the name of a defaults section").optional()
    .describe("Name of the defaults section the created backends inherit from (`from`)."),
  namespace: z.string().min(1).optional().describe("Consul Enterprise namespace."),
  waitForBackends: z.boolean().default(false)
    .describe("On create and update, wait until HAProxy runs, for every selected service, a backend whose active servers are the catalog's instances. Default: false."),
  waitTimeout: z.number().int().min(1).default(60)
    .describe("Seconds waitForBackends waits before failing. Default: 60."),
  connection: ResourceConnectionSchema.optional(),
}).superRefine((v, ctx) => {
  if (v.healthCheckPolicy === "min" && v.healthCheckPolicyMin === undefined) {
    ctx.addIssue({ code: "custom", path: ["healthCheckPolicyMin"], message: "is required with healthCheckPolicy \"min\" (DPAPI answers 400 without it)" });
  }
  if (v.healthCheckPolicy !== "min" && v.healthCheckPolicyMin !== undefined) {
    ctx.addIssue({ code: "custom", path: ["healthCheckPolicyMin"], message: "only applies with healthCheckPolicy \"min\"" });
  }
  if (v.serviceAllowlist?.length && v.serviceDenylist?.length) {
    ctx.addIssue({ code: "custom", path: ["serviceDenylist"], message: "give serviceAllowlist or serviceDenylist, not both (DPAPI ignores the denylist when an allowlist is set)" });
  }
});

export type ConsulDiscoveryInputs = z.input<typeof ConsulDiscoveryInputsSchema>;
type Desired = z.output<typeof ConsulDiscoveryInputsSchema>;
/** running: DPAPI follows the catalog; stalled: it stopped following it (dataplaneapi#317); disabled: enabled is false. */
export type Watcher = "running" | "stalled" | "disabled";
export type ConsulDiscoveryState = Omit<Desired, "token"> & {
  /** SHA-256 (hex) of the ACL token: the token itself is not kept (DPAPI holds it, and read takes it from there). */
  tokenSha256?: string;
  backendNames: Record<string, string>; watcher: Watcher; stateVersion: number;
};

const INPUT_KEYS = Object.keys(ConsulDiscoveryInputsSchema.shape);
const OUTPUT_ONLY_KEYS = ["backendNames", "watcher", "stateVersion", "tokenSha256"];
export const tokenDigest = (token: string) => createHash("sha256").update(token).digest("hex");
const CONSUL_TIMEOUT_MS = 5_000;
const POLL_MS = 500;

export const backendName = (d: Pick<Desired, "address" | "port">, service: string) => `consul-backend-${d.address}-${d.port}-${service}`;

/**
 * How long DPAPI may take to write a catalog change to haproxy.cfg: it applies a service at the first poll that
 * sees its X-Consul-Index move; two poll intervals plus 3 s also cover a poll in progress and a slow commit.
 */
export const graceMs = (retryTimeout: number) => (2 * retryTimeout + 3) * 1000;

// ---------------------------------------------------------------- wire

export function toWire(d: Desired): ConsulWire {
  return compact({
    address: d.address,
    port: d.port,
    enabled: d.enabled,
    retry_timeout: d.retryTimeout,
    mode: d.scheme,
    token: d.token,
    namespace: d.namespace,
    service_allowlist: d.serviceAllowlist?.length ? d.serviceAllowlist : undefined,
    service_denylist: d.serviceDenylist?.length ? d.serviceDenylist : undefined,
    service_name_regexp: d.serviceNameRegexp,
    health_check_policy: d.healthCheckPolicy,
    health_check_policy_min: d.healthCheckPolicy === "min" ? d.healthCheckPolicyMin : undefined,
    server_slots_base: d.serverSlots.base,
    server_slots_growth_type: d.serverSlots.growthType,
    server_slots_growth_increment: d.serverSlots.increment,
    defaults: d.defaults,
  });
}

/** The definition DPAPI holds, in the shape of the inputs it is compared with. */
export function fromWire(c: ConsulWire, old: Desired): Desired {
  const list = (l: string[] | null | undefined) => (l && l.length ? l : undefined);
  const policy = c.health_check_policy ?? "none";
  return {
    ...old,
    address: c.address,
    port: c.port,
    scheme: c.mode ?? "http",
    token: c.token || undefined,
    enabled: c.enabled,
    retryTimeout: c.retry_timeout,
    serviceAllowlist: list(c.service_allowlist),
    serviceDenylist: list(c.service_denylist),
    serviceNameRegexp: c.service_name_regexp || undefined,
    healthCheckPolicy: policy,
    healthCheckPolicyMin: policy === "min" ? c.health_check_policy_min ?? undefined : undefined,
    serverSlots: {
      base: c.server_slots_base ?? old.serverSlots.base,
      growthType: c.server_slots_growth_type ?? old.serverSlots.growthType,
      // DPAPI 3.x drops the increment of an exponential definition.
      increment: c.server_slots_growth_increment || old.serverSlots.increment,
    },
    defaults: c.defaults || undefined,
    namespace: c.namespace || undefined,
  };
}

// ---------------------------------------------------------------- Consul

const HealthEntrySchema = z.looseObject({
  Node: z.looseObject({ Address: z.string().optional() }).nullable().optional(),
  Service: z.looseObject({ Address: z.string().optional(), Port: z.number().optional() }).nullable().optional(),
  Checks: z.array(z.looseObject({ Status: z.string().optional() })).nullable().optional(),
});
type HealthEntry = z.output<typeof HealthEntrySchema>;

/** A server as DPAPI writes it: the service address (or the node's), and the port when it is set. */
export const serverKey = (address: string | undefined, port: number | null | undefined) => `${address ?? ""}:${port && port > 0 ? port : ""}`;

/** The same health filter as DPAPI's consul_service_discovery_instance.go. */
export function admitted(e: HealthEntry, policy: Desired["healthCheckPolicy"], min = 0): boolean {
  if (policy === "none") return true;
  const checks = e.Checks ?? [];
  if (checks.length === 0) return false;
  const passing = checks.filter((c) => c.Status === "passing").length;
  if (policy === "any") return passing > 0;
  if (policy === "all") return passing === checks.length;
  return passing >= min;
}

/** Is this service tracked? An allowlist wins; else the denylist drops; `consul` never is. */
export function tracked(d: Pick<Desired, "serviceAllowlist" | "serviceDenylist">, service: string): boolean {
  if (service === "consul") return false;
  if (d.serviceAllowlist?.length) return d.serviceAllowlist.includes(service);
  return !(d.serviceDenylist ?? []).includes(service);
}

/** The selected services and, for each, the servers (sorted `address:port`) DPAPI should run. */
export type Catalog = Map<string, string[]>;

function consulError(e: unknown, d: Desired, what: string): DpapiError {
  const err = (e ?? {}) as { code?: string; statusCode?: number; isTimeout?: boolean; message?: string };
  const where = `${d.scheme}://${d.address}:${d.port}`;
  const said = (err.message ?? "").slice(0, 200);
  if (err.statusCode === 401 || err.statusCode === 403) {
    return new DpapiError({ code: "DPAPI_CONSUL", status: err.statusCode,
      message: `Consul at ${where} refused ${d.token ? "the ACL token" : "an anonymous request (no token)"} for ${what} (${err.statusCode} ${said})`,
      hint: "give `token` a Consul ACL token with service:read and node:read on the services to discover; DPAPI's watcher stops for good on this error (dataplaneapi#317)" });
  }
  if (err.statusCode) {
    return new DpapiError({ code: "DPAPI_CONSUL", status: err.statusCode, message: `Consul at ${where} answered ${err.statusCode} to ${what}: ${said}`,
      hint: "check address, port and namespace of the discovery" });
  }
  return new DpapiError({ code: "DPAPI_CONSUL",
    message: `cannot reach Consul at ${where} for ${what} (${err.isTimeout ? `no answer within ${CONSUL_TIMEOUT_MS} ms` : err.code ?? said})`,
    hint: "start Consul or fix address/port; this provider reads the same address as DPAPI, and DPAPI's watcher stops for good on a Consul error (dataplaneapi#317) until `pulumi up` restarts it" });
}

/**
 * papi (under the consul client) rejects only values that are `instanceof Error`
 * in its own realm; a network error made in another realm (a test sandbox) is
 * resolved as the result instead.
 */
function errorAsThrow<T>(v: T): T {
  if (types.isNativeError(v)) throw v;
  return v;
}

/** Asks the consul client for [response, body], so that Consul's headers can be read (its ctx must be an emitter, one per request). */
const withResponse = () => ({ ctx: Object.assign(new EventEmitter(), { includeResponse: true }) });
type ConsulAnswer = [{ headers?: Record<string, string | undefined> } | undefined, unknown];
const filteredByAcls = (res: ConsulAnswer[0]) => res?.headers?.["x-consul-results-filtered-by-acls"] === "true";

function aclHides(d: Desired, needs: string): DpapiError {
  return new DpapiError({ code: "DPAPI_CONSUL", status: 200,
    message: `Consul at ${d.scheme}://${d.address}:${d.port} hides services from ${d.token ? "the ACL token" : "anonymous requests (no token)"} ` +
      `(its answer was filtered by ACLs): DPAPI's watcher would see no instance`,
    hint: `give \`token\` a Consul ACL token with ${needs}, and node:read, on the services to discover` });
}

/** Reads the catalog the way DPAPI does: services (regexp as a Consul filter), then each tracked service's health. */
export async function readCatalog(d: Desired): Promise<Catalog> {
  const options = {
    host: d.address, port: d.port, secure: d.scheme === "https",
    defaults: { token: d.token, timeout: CONSUL_TIMEOUT_MS },
    // The client drops its own `ns` option; the header is what Consul Enterprise reads.
    ...(d.namespace ? { headers: { "X-Consul-Namespace": d.namespace } } : {}),
  };
  const consul = new Consul(options as ConstructorParameters<typeof Consul>[0]);
  try {
    let services: Record<string, string[]>;
    let hidden: boolean;
    try {
      const [res, body] = errorAsThrow(await consul.catalog.service.list({
        ...(d.serviceNameRegexp ? { filter: `ServiceName matches "${d.serviceNameRegexp}"` } : {}), ...withResponse(),
      } as object)) as unknown as ConsulAnswer;
      services = z.record(z.string(), z.array(z.string()).nullable()).parse(body) as Record<string, string[]>;
      hidden = filteredByAcls(res);
    } catch (e) { throw consulError(e, d, "the service list"); }
    const names = Object.keys(services).filter((s) => tracked(d, s)).sort();
    // Consul answers a token that may not read a service with a list that leaves it out, not with a 403: DPAPI's
    // watcher would then keep the backends empty, silently. Asked for by name, or nothing visible at all: an error.
    // An allowlisted service may just not be registered yet: Consul says which, when asked for it by name.
    const missing = hidden ? (d.serviceAllowlist ?? []).filter((s) => !names.includes(s)) : [];
    const unreadable: string[] = [];
    for (const service of missing) {
      let answer: ConsulAnswer;
      try {
        answer = errorAsThrow(await consul.health.service({ service, ...withResponse() } as { service: string })) as unknown as ConsulAnswer;
      } catch (e) { throw consulError(e, d, `the health of service "${service}"`); }
      if (filteredByAcls(answer[0])) unreadable.push(service);
    }
    if (unreadable.length) throw aclHides(d, `service:read on ${unreadable.join(", ")}`);
    if (hidden && names.length === 0 && !d.serviceAllowlist?.length) throw aclHides(d, "service:read");
    const entries = await Promise.all(names.map(async (service) => {
      let answer: ConsulAnswer;
      try {
        answer = errorAsThrow(await consul.health.service({ service, ...withResponse() } as { service: string })) as unknown as ConsulAnswer;
      } catch (e) { throw consulError(e, d, `the health of service "${service}"`); }
      const list = z.array(HealthEntrySchema).parse(answer[1] ?? []);
      if (list.length === 0 && filteredByAcls(answer[0])) throw aclHides(d, `node:read (the instances of "${service}" are hidden)`);
      return list;
    }));
    // Two instances at one address:port are one server for DPAPI.
    return new Map(names.map((service, i) => [service, unique(entries[i]
      .filter((e) => admitted(e, d.healthCheckPolicy, d.healthCheckPolicyMin))
      .map((e) => serverKey(e.Service?.Address || e.Node?.Address, e.Service?.Port)))]));
  } finally {
    consul.destroy();
  }
}

const unique = (keys: string[]) => [...new Set(keys)].sort();

export const namesOf = (d: Desired, catalog: Catalog): Record<string, string> =>
  Object.fromEntries([...catalog.keys()].map((s) => [s, backendName(d, s)]));

// ---------------------------------------------------------------- HAProxy side

export interface Mismatch { service: string; backend: string; want: string[]; have?: string[] }

/** Active servers of a backend: from what DPAPI wrote (config) or from what HAProxy runs (runtime); undefined when it has no such backend. */
async function activeServers(client: DataplaneClient, backend: string, source: "config" | "runtime"): Promise<string[] | undefined> {
  if (source === "runtime") {
    const rs = await client.listRuntimeServers(backend);
    return rs && unique(rs.filter((s) => s.admin_state !== "maint").map((s) => serverKey(s.address, s.port)));
  }
  try {
    const servers = await client.listServers(backend);
    return unique(servers.filter((s) => s.maintenance !== "enabled").map((s) => serverKey(s.address, s.port)));
  } catch (e) {
    if (isDpapiError(e, "DPAPI_NOT_FOUND")) return undefined;
    throw e;
  }
}

/**
 * Where HAProxy differs from the catalog. Backends named in `formerly` whose
 * service left the catalog (or the selection) should have no active server.
 */
export async function mismatches(d: Desired, catalog: Catalog, client: DataplaneClient, source: "config" | "runtime",
  formerly: Record<string, string> = {}): Promise<Mismatch[]> {
  const out: Mismatch[] = [];
  for (const [service, want] of catalog) {
    const backend = backendName(d, service);
    const have = await activeServers(client, backend, source);
    if (!have || have.join(",") !== want.join(",")) out.push({ service, backend, want, have });
  }
  for (const [service, backend] of Object.entries(formerly)) {
    if (catalog.has(service) || backend !== backendName(d, service)) continue;
    const have = await activeServers(client, backend, source);
    if (have && have.length) out.push({ service, backend, want: [], have });
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until HAProxy agrees with the catalog or the deadline passes; returns the last catalog and what still differs. */
async function converge(d: Desired, client: DataplaneClient, source: "config" | "runtime", deadline: number,
  formerly?: Record<string, string>): Promise<{ catalog: Catalog; mismatches: Mismatch[] }> {
  for (;;) {
    const catalog = await readCatalog(d);
    const diff = await mismatches(d, catalog, client, source, formerly);
    if (diff.length === 0 || Date.now() >= deadline) return { catalog, mismatches: diff };
    await sleep(POLL_MS);
  }
}

const describeMismatch = (m: Mismatch) =>
  `${m.service} (backend ${m.backend}: ${m.have === undefined ? "not in HAProxy" : `${m.have.length} active server(s)`}, catalog has ${m.want.length})`;

// ---------------------------------------------------------------- life

function desired(inputs: Record<string, unknown>): Desired {
  return ConsulDiscoveryInputsSchema.parse(withoutProvider(inputs));
}

/** The inputs recorded in a state written by any release of this resource. */
function desiredOfState(props: Record<string, unknown>): Desired {
  const inputs = Object.fromEntries(Object.entries(inputsOfState(props)).filter(([k]) => !OUTPUT_ONLY_KEYS.includes(k)));
  return ConsulDiscoveryInputsSchema.parse(inputs);
}

/** The state: the token only as its digest (outputs are printed by the SDK's debug log, secrets included). */
export function state(d: Desired, backendNames: Record<string, string>, watcher: Watcher): ConsulDiscoveryState {
  const { token, ...rest } = d;
  return toState({ ...rest, ...(token ? { tokenSha256: tokenDigest(token) } : {}), backendNames, watcher });
}

/** The token of a state as its digest (states written before the digest kept the token itself). */
function tokenDigestOfState(props: Record<string, unknown>): string | undefined {
  if (typeof props.tokenSha256 === "string") return props.tokenSha256;
  return typeof props.token === "string" ? tokenDigest(props.token) : undefined;
}

/** Keeps the token out of any error text (DPAPI and Consul do not echo it today; this makes sure). */
function scrubbed(e: unknown, token: string | undefined): unknown {
  if (!token || !(e instanceof Error)) return e;
  const hide = (s: string | undefined) => s?.split(token).join("[secret]");
  e.message = hide(e.message)!;
  if (e.stack) e.stack = hide(e.stack);
  const dpapi = e as { dpapiMessage?: string };
  if (typeof dpapi.dpapiMessage === "string") Object.defineProperty(e, "dpapiMessage", { value: hide(dpapi.dpapiMessage) });
  return e;
}

async function guarded<T>(token: string | undefined, fn: () => Promise<T>): Promise<T> {
  try { return await fn(); } catch (e) { throw scrubbed(e, token); }
}

/**
 * Waits for HAProxy to run what the catalog says. On timeout the error
 * carries the id and state, so Pulumi keeps the discovery it created.
 */
async function waitForHaproxy(d: Desired, client: DataplaneClient, id: string, provider: unknown,
  context: { preexisting?: string[]; formerly?: Record<string, string> } = {}): Promise<Catalog> {
  const started = Date.now();
  const { catalog, mismatches: left } = await converge(d, client, "runtime", started + d.waitTimeout * 1000);
  if (left.length === 0) return catalog;
  const bound = left.filter((m) => context.preexisting?.includes(m.backend)).map((m) => m.backend);
  const added = context.formerly ? left.filter((m) => !(m.service in context.formerly!)).map((m) => m.service) : [];
  const hint = bound.length
    ? `${bound.join(", ")} existed before this discovery: if another discovery followed them since DPAPI started, DPAPI refuses to hand them over ("service with name … already exists") and stops this watcher until DPAPI restarts`
    : added.length
      ? `DPAPI starts following a service newly selected by an update (${added.join(", ")}) only at that service's next change in Consul (its X-Consul-Index must move: an instance or a check registered or changed)`
      : `DPAPI polls every ${d.retryTimeout} s and reloads HAProxy after each change; check that DPAPI itself reaches Consul at ${d.scheme}://${d.address}:${d.port} (see its log), or raise waitTimeout`;
  const err = new DpapiError({ code: "DPAPI_DISCOVERY_TIMEOUT",
    message: `ConsulDiscovery ${id}: after ${d.waitTimeout} s HAProxy still differs from the Consul catalog for ${left.map(describeMismatch).join("; ")}`, hint });
  Object.assign(err, { id, properties: { ...state(d, namesOf(d, catalog), "running"), __provider: provider }, reasons: [err.message] });
  throw err;
}

export async function check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<CheckResult<Record<string, unknown>>> {
  return checkInputs("ConsulDiscovery", ConsulDiscoveryInputsSchema, news);
}

export async function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<DiffResult> {
  // Address and port name the backends, and DPAPI binds each backend to the discovery that first tracked it:
  // a new discovery is made (the old one deleted first, so that two never commit transactions side by side).
  // Tokens compare as digests: the state has no other.
  const newToken = typeof news.token === "string" && news.token !== UNKNOWN ? tokenDigest(news.token) : news.token;
  return diffInputs(INPUT_KEYS, ["address", "port"], { ...olds, token: tokenDigestOfState(olds) }, { ...withoutProvider(news), token: newToken });
}

export async function create(inputs: Record<string, unknown>) {
  const d = desired(inputs);
  return guarded(d.token, async () => {
    const client = await clientFor(d.connection);
    // Before anything is registered: an unreachable Consul or a refused token would stop DPAPI's watcher at its first poll.
    let catalog: Catalog = d.enabled ? await readCatalog(d) : new Map();
    const names = Object.values(namesOf(d, catalog));
    const preexisting = d.enabled && d.waitForBackends
      ? (await client.listBackends()).map((b) => b.name).filter((n) => names.includes(n)) : [];
    const created = await client.createConsul(toWire(d));
    if (!created.id) {
      throw new DpapiError({ code: "DPAPI_BAD_RESPONSE", message: "the Data Plane API created a Consul discovery but returned no id" });
    }
    if (d.enabled && d.waitForBackends) catalog = await waitForHaproxy(d, client, created.id, inputs.__provider, { preexisting });
    return { id: created.id, outs: state(d, namesOf(d, catalog), d.enabled ? "running" : "disabled") };
  });
}

export async function read(id: string, props: Record<string, unknown>) {
  const old = desiredOfState(props);
  const client = await clientFor(old.connection);
  const live = await client.getConsul(id);
  if (!live) return {};
  // The token comes from DPAPI's definition (state keeps its digest only); one changed there shows as a new digest.
  return guarded(live.token || undefined, async () => {
    const observed = fromWire(live, old);
    const formerly = (props.backendNames ?? {}) as Record<string, string>;
    let watcher: Watcher = "disabled";
    let backendNames: Record<string, string> = {};
    if (observed.enabled) {
      const probe = observed;
      try {
        const r = await converge(probe, client, "config", Date.now() + graceMs(observed.retryTimeout), formerly);
        backendNames = namesOf(observed, r.catalog);
        watcher = r.mismatches.length ? "stalled" : "running";
      } catch (e) {
        // Consul unreachable now: DPAPI's watcher stops at its next poll, if it has not already.
        if (!isDpapiError(e, "DPAPI_CONSUL")) throw e;
        backendNames = formerly;
        watcher = "stalled";
      }
      // Drift the next `pulumi up` repairs: its PUT restarts the watcher.
      if (watcher === "stalled") observed.enabled = false;
    }
    const { token: _token, ...inputs } = JSON.parse(JSON.stringify(observed)) as Desired;
    return { id, props: state(observed, backendNames, watcher), inputs };
  });
}

export async function update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
  const d = desired(news);
  return guarded(d.token, async () => {
    const client = await clientFor(d.connection);
    let catalog: Catalog = d.enabled ? await readCatalog(d) : new Map();
    try {
      // A PUT also restarts a stalled watcher, even when nothing else changes.
      await client.replaceConsul(id, toWire(d));
    } catch (e) {
      if (isDpapiError(e, "DPAPI_NOT_FOUND")) {
        throw new DpapiError({ code: "DPAPI_NOT_FOUND", message: `Consul discovery ${id} no longer exists in the Data Plane API`,
          hint: "run `pulumi refresh` so Pulumi forgets it, then `pulumi up` recreates it" });
      }
      throw e;
    }
    if (d.enabled && d.waitForBackends) {
      catalog = await waitForHaproxy(d, client, id, news.__provider, { formerly: (olds.backendNames ?? {}) as Record<string, string> });
    }
    return { outs: state(d, namesOf(d, catalog), d.enabled ? "running" : "disabled") };
  });
}

/**
 * Stops the watcher, then deletes the definition. DPAPI's DELETE alone leaves
 * the watcher polling and editing haproxy.cfg until DPAPI restarts; a PUT with
 * `enabled: false` stops it (which takes retryTimeout + 5 s: the client parks a
 * watcher before it stops it, or DPAPI may crash). DPAPI leaves the backends it
 * made in haproxy.cfg (a frontend may still name them).
 */
export async function remove(id: string, props: Record<string, unknown>): Promise<void> {
  const conn = ResourceConnectionSchema.optional().parse(props.connection);
  await guarded(undefined, async () => {
    const client = await clientFor(conn);
    await removeObject(`ConsulDiscovery "${id}"`, async () => {
      const live = await client.getConsul(id);
      if (!live) return;
      if (live.enabled) await client.replaceConsul(id, { ...live, enabled: false });
      await client.deleteConsul(id);
    });
  });
}
