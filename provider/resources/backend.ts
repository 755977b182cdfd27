// The life of a Backend: inputs, check, diff, create, read, update, delete.
import { z } from "zod";
import { BackendSchema, BALANCE_ALGORITHMS, HTTP_CHECK_METHODS, NAME_PATTERN, isDpapiError, DpapiError, type Backend, type Server } from "../client";
import { clientFor } from "../connection";
import {
  ResourceConnectionSchema, toState, checkInputs, compact, diffInputs, changedInputs, inputsOfState, withoutProvider, UNKNOWN,
  type CheckResult, type DiffResult,
  removeObject,
} from "./common";
import {
  ServerOptionsSchema, ServerFieldsSchema, serverOptionsToWire, serverOptionsFromWire, serverToWire, serverFromWire, mergeServer,
  type ServerFields,
} from "./server-options";
import { FilterInputSchema, filterFromWire, filterToWire, spoeEnginesUnique } from "./filters";

const InlineServersSchema = z.array(ServerFieldsSchema).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((s, i) => {
    if (seen.has(s.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `"${s.name}" is used by another server of this backend; names must be unique` });
    seen.add(s.name);
  });
}).describe("Servers of this backend, managed with it as one resource: created in the backend's own transaction, " +
  "diffed by name (weight, address, port, maintenance and drain changes need no reload). Servers not listed here " +
  "(e.g. `Server` resources of other programs) are left alone.");

const ms = (what: string) => z.number().int().nonnegative().describe(`${what}, in milliseconds.`);

export const BackendInputsSchema = z.strictObject({
  name: z.string().regex(NAME_PATTERN, "must be letters, digits and - _ . : only (no spaces)")
    .describe("Backend name in haproxy.cfg. Defaults to the Pulumi resource name. Changing it replaces the backend."),
  mode: z.enum(["http", "tcp"]).optional().describe("Proxy mode: http or tcp. Defaults to the defaults section's mode."),
  balance: z.strictObject({
    /** Load-balancing algorithm, e.g. `roundrobin`, `leastconn`, `source`, `uri`, `hdr`. */
    algorithm: z.enum(BALANCE_ALGORITHMS).describe("Load-balancing algorithm."),
    /** Header name, for algorithm `hdr`. */
    hdrName: z.string().optional().describe("Header name, for algorithm `hdr`."),
    /** Query parameter, for algorithm `url_param`. */
    urlParam: z.string().optional().describe("Query parameter, for algorithm `url_param`."),
  }).optional().describe("How requests are spread across servers."),
  healthCheck: z.strictObject({
    /** HTTP method of the check. Default: GET. */
    method: z.enum(HTTP_CHECK_METHODS).default("GET").describe("HTTP method of the check."),
    /** Path the check requests (no spaces). Default: /. */
    uri: z.string().regex(/^[^ ]*$/, "must not contain spaces").default("/").describe("Path the check requests."),
    /** HTTP version of the check request, e.g. HTTP/1.1. Default: HAProxy's (HTTP/1.0). */
    version: z.string().optional().describe("HTTP version, e.g. HTTP/1.1."),
  }).optional().describe("HTTP health check (`option httpchk`). Servers still need `check: true`."),
  timeouts: z.strictObject({
    /** `timeout connect`: longest wait for a connection to a server, in milliseconds. */
    connect: ms("timeout connect").optional(),
    /** `timeout server`: longest inactivity on the server side, in milliseconds. */
    server: ms("timeout server").optional(),
    /** `timeout queue`: longest wait in the queue for a free server slot, in milliseconds. */
    queue: ms("timeout queue").optional(),
    /** `timeout tunnel`: longest inactivity of a tunnel (WebSocket, CONNECT), in milliseconds. */
    tunnel: ms("timeout tunnel").optional(),
    /** `timeout http-request`: longest wait for a complete request, in milliseconds. */
    httpRequest: ms("timeout http-request").optional(),
    /** `timeout http-keep-alive`: longest wait for the next request on a kept-alive connection, in milliseconds. */
    httpKeepAlive: ms("timeout http-keep-alive").optional(),
    /** `timeout check`: extra read timeout of a health check once connected, in milliseconds. */
    check: ms("timeout check").optional(),
  }).optional().describe("Timeouts, in milliseconds."),
  cookie: z.strictObject({
    /** Cookie name. */
    name: z.string().min(1).describe("Cookie name."),
    /** How the cookie is set: `insert` (HAProxy adds it), `rewrite` (replaces the server's) or `prefix`. */
    type: z.enum(["rewrite", "insert", "prefix"]).optional(),
    /** Do not send the cookie to the server when it is already known. */
    indirect: z.boolean().optional(),
    /** Mark responses that set the cookie as not cacheable. */
    nocache: z.boolean().optional(),
    /** Add the HttpOnly attribute. */
    httponly: z.boolean().optional(),
    /** Add the Secure attribute. */
    secure: z.boolean().optional(),
  }).optional().describe("Cookie-based session persistence."),
  forwardFor: z.union([z.boolean(), z.strictObject({
    /** Header name instead of X-Forwarded-For. */
    header: z.string().optional(),
    /** Network (address/mask) whose clients get no header, e.g. `127.0.0.0/8`. */
    except: z.string().optional(),
    /** Add the header only when the request has none. */
    ifnone: z.boolean().optional(),
  })])
    .optional().describe("Add X-Forwarded-For (`option forwardfor`); an object sets its options."),
  defaultServer: ServerOptionsSchema.optional().describe("`default-server` options every server of this backend inherits. Note: DPAPI then adds servers with a reload, never through the runtime API."),
  extra: BackendSchema.partial().omit({ name: true }).optional()
    .describe("Any other field of the DPAPI backend model (snake_case, as in the DPAPI spec), validated against it."),
  servers: InlineServersSchema.optional(),
  filters: z.array(FilterInputSchema).optional().describe("Filters (`filter spoe`, `compression`, `trace`), in order. Left as they are when not given."),
  adopt: z.boolean().default(false).describe("Take over a backend that already exists instead of failing with 'already exists'."),
  connection: ResourceConnectionSchema.optional(),
}).superRefine((b, ctx) => { if (b.filters) spoeEnginesUnique(b.filters, ctx); });

export type BackendInputs = z.input<typeof BackendInputsSchema>;
type Desired = z.output<typeof BackendInputsSchema>;
export type BackendState = Desired & { stateVersion: number };

const BACKEND_KEYS = ["name", "mode", "balance", "healthCheck", "timeouts", "cookie", "forwardFor", "defaultServer", "extra", "adopt", "connection"] as const;
const INPUT_KEYS = [...BACKEND_KEYS, "servers", "filters"] as const;
/** Wire fields this resource owns; everything else on the backend is left as it is. */
const OWNED_WIRE_FIELDS = ["mode", "balance", "adv_check", "httpchk_params", "connect_timeout", "server_timeout", "queue_timeout",
  "tunnel_timeout", "http_request_timeout", "http_keep_alive_timeout", "check_timeout", "cookie", "forwardfor", "default_server"];

const TIMEOUTS = { connect: "connect_timeout", server: "server_timeout", queue: "queue_timeout", tunnel: "tunnel_timeout",
  httpRequest: "http_request_timeout", httpKeepAlive: "http_keep_alive_timeout", check: "check_timeout" } as const;

export function toWire(d: Desired): Backend {
  const timeouts = Object.fromEntries(Object.entries(d.timeouts ?? {}).map(([k, v]) => [TIMEOUTS[k as keyof typeof TIMEOUTS], v]));
  const ff = d.forwardFor === undefined || d.forwardFor === false ? undefined
    : { enabled: "enabled" as const, ...(d.forwardFor === true ? {} : compact(d.forwardFor)) };
  return compact({
    ...(d.extra ?? {}),
    name: d.name,
    mode: d.mode,
    balance: d.balance && compact({ algorithm: d.balance.algorithm, hdr_name: d.balance.hdrName, url_param: d.balance.urlParam }),
    adv_check: d.healthCheck ? "httpchk" as const : undefined,
    httpchk_params: d.healthCheck && compact({ method: d.healthCheck.method, uri: d.healthCheck.uri, version: d.healthCheck.version }),
    ...timeouts,
    cookie: d.cookie && compact({ ...d.cookie }),
    forwardfor: ff,
    default_server: d.defaultServer && serverOptionsToWire(d.defaultServer),
  });
}

/** The inputs that describe what is live, shaped like the state they are compared with. */
function fromWire(b: Backend, like: Desired): Partial<Desired> {
  const timeouts = compact(Object.fromEntries(Object.entries(TIMEOUTS).map(([k, w]) => [k, (b as Record<string, unknown>)[w] ?? undefined])));
  const ff = b.forwardfor;
  const forwardFor = !ff ? (like.forwardFor === false ? false : undefined)
    : typeof like.forwardFor === "object" ? compact({ header: ff.header, except: ff.except, ifnone: ff.ifnone }) : true;
  const extra = like.extra
    ? Object.fromEntries(Object.keys(like.extra).map((k) => [k, (b as Record<string, unknown>)[k]]))
    : undefined;
  return compact({
    name: b.name,
    mode: b.mode === "log" ? undefined : b.mode,
    balance: b.balance && compact({ algorithm: b.balance.algorithm, hdrName: b.balance.hdr_name, urlParam: b.balance.url_param }),
    healthCheck: b.adv_check === "httpchk" ? compact({
      method: b.httpchk_params?.method ?? "GET", uri: b.httpchk_params?.uri ?? "/", version: b.httpchk_params?.version,
    }) : undefined,
    timeouts: Object.keys(timeouts).length ? timeouts : undefined,
    cookie: b.cookie && compact({ name: b.cookie.name, type: b.cookie.type, indirect: b.cookie.indirect, nocache: b.cookie.nocache,
      httponly: b.cookie.httponly, secure: b.cookie.secure }),
    forwardFor,
    defaultServer: b.default_server ? serverOptionsFromWire(b.default_server, like.defaultServer) : undefined,
    extra,
  }) as Partial<Desired>;
}

/**
 * Inline servers are stored keyed by name, so `pulumi preview --diff` shows a change
 * as `servers.api-1.weight`, not as a shifted list index. Programs give a list.
 */
type KeyedServers = Record<string, Omit<ServerFields, "name">>;

function keyedServers(list: ServerFields[]): KeyedServers {
  return Object.fromEntries(list.map(({ name, ...rest }) => [name, rest]));
}

function serverList(v: unknown): unknown {
  if (!v || typeof v !== "object" || Array.isArray(v)) return v;
  return Object.entries(v as Record<string, object>).map(([name, rest]) => ({ ...rest, name }));
}

function desired(inputs: Record<string, unknown>): Desired {
  const raw = withoutProvider(inputs);
  return BackendInputsSchema.parse(raw.servers === undefined ? raw : { ...raw, servers: serverList(raw.servers) });
}

const state = (d: Desired): BackendState => {
  const { servers, ...rest } = d;
  return toState({ ...rest, ...(servers ? { servers: keyedServers(servers) } : {}) }) as unknown as BackendState;
};

/** Keeps what we do not own (e.g. `from`, set by DPAPI or by hand) when replacing the whole backend. */
function merged(current: Backend | undefined, want: Backend): Backend {
  const kept = Object.fromEntries(Object.entries(current ?? {}).filter(([k]) => !OWNED_WIRE_FIELDS.includes(k) && !(k in want)));
  return { ...kept, ...want };
}

export async function check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<CheckResult<Record<string, unknown>>> {
  const listed = news.servers === undefined ? news : { ...news, servers: serverList(news.servers) };
  const result = checkInputs("Backend", BackendInputsSchema, listed);
  const list = listed.servers;
  // Keyed by name only when every name is known; during a preview with unknown names the list stays a list.
  if (result.inputs && Array.isArray(list) && list.every((s) => typeof s?.name === "string" && s.name !== UNKNOWN)) {
    const parsed = result.inputs.servers;
    result.inputs = { ...result.inputs, servers: keyedServers((Array.isArray(parsed) ? parsed : list) as ServerFields[]) };
  }
  return result;
}

export async function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<DiffResult> {
  return diffInputs(INPUT_KEYS, ["name"], olds, withoutProvider(news));
}

export async function create(inputs: Record<string, unknown>) {
  const d = desired(inputs);
  const client = await clientFor(d.connection);
  const want = toWire(d);
  const servers = (d.servers ?? []).map(serverToWire);
  if (d.adopt) {
    const current = await client.getBackend(d.name);
    if (current) {
      const live = await client.listServers(d.name);
      const filters = d.filters && { want: d.filters.map(filterToWire), current: await client.listBackendFilters(d.name) };
      await client.changeBackend({ name: d.name, replace: merged(current, want), ...serverChanges(live, servers, []), filters });
      return { id: d.name, outs: state(d) };
    }
  }
  try {
    await client.changeBackend({ name: d.name, create: want, addServers: servers, filters: d.filters && { want: d.filters.map(filterToWire), current: [] } });
  } catch (e) {
    if (isDpapiError(e, "DPAPI_EXISTS")) {
      throw new DpapiError({ code: "DPAPI_EXISTS", message: `Backend "${d.name}" already exists in HAProxy`,
        hint: "set `adopt: true` on this Backend to take it over (its settings become the ones in your program), or choose another name" });
    }
    throw e;
  }
  return { id: d.name, outs: state(d) };
}

/**
 * Server writes that turn the live servers into the declared ones: declared ones
 * missing are added, differing ones replaced, and `dropped` (declared before, no
 * longer) deleted. Servers never declared here are not touched.
 */
function serverChanges(live: Server[], want: Server[], dropped: string[]) {
  const byName = new Map(live.map((s) => [s.name, s]));
  const addServers = want.filter((s) => !byName.has(s.name));
  const replaceServers = want.flatMap((s) => {
    const previous = byName.get(s.name);
    if (!previous) return [];
    const next = mergeServer(previous, s);
    return JSON.stringify(sortedEntries(next)) === JSON.stringify(sortedEntries(previous)) ? [] : [{ next, previous }];
  });
  return { addServers, replaceServers, deleteServers: dropped.filter((n) => byName.has(n)) };
}

const sortedEntries = (o: object) => Object.entries(o).filter(([, v]) => v !== undefined && v !== null).sort(([a], [b]) => a.localeCompare(b));

export async function read(id: string, props: Record<string, unknown>) {
  const old = desired({ ...inputsOfState(props), name: props.name ?? id });
  const client = await clientFor(old.connection);
  const live = await client.getBackend(id);
  if (!live) return {};
  // Declared inline servers are read back; a missing one drops out, so refresh shows it as gone.
  const servers = old.servers && await client.listServers(id).then((list) => old.servers!.flatMap((want) => {
    const s = list.find((x) => x.name === want.name);
    return s ? [serverFromWire(s, want)] : [];
  }));
  const filters = old.filters && (await client.listBackendFilters(id)).map((f, i) => filterFromWire(f, old.filters![i]));
  // Everything HAProxy has is read back; only what is not in HAProxy (adopt, connection) comes from state.
  const observed = state({ adopt: old.adopt, connection: old.connection, ...fromWire(live, old), servers, filters } as Desired);
  return { id, props: observed, inputs: observed };
}

export async function update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
  const d = desired(news);
  const before = desired(inputsOfState(olds));
  const client = await clientFor(d.connection);
  const current = await client.getBackend(id);
  if (!current) {
    throw new DpapiError({ code: "DPAPI_NOT_FOUND", message: `Backend "${id}" no longer exists in HAProxy`,
      hint: "run `pulumi refresh` so Pulumi forgets it, then `pulumi up` recreates it" });
  }
  const backendChanged = changedInputs(BACKEND_KEYS, olds, withoutProvider(news)).length > 0;
  const want = (d.servers ?? []).map(serverToWire);
  const dropped = (before.servers ?? []).map((s) => s.name).filter((n) => !want.some((s) => s.name === n));
  const live = d.servers || before.servers ? await client.listServers(id) : [];
  // Declared filters are the list; filters no longer declared go (none were ours to keep).
  const filtersChanged = changedInputs(["filters"], olds, withoutProvider(news)).length > 0;
  const filters = filtersChanged && (d.filters || before.filters)
    ? { want: (d.filters ?? []).map(filterToWire), current: await client.listBackendFilters(id) } : undefined;
  await client.changeBackend({
    name: id,
    replace: backendChanged ? merged(current, toWire(d)) : undefined,
    ...serverChanges(live, want, dropped),
    filters,
  });
  return { outs: state(d) };
}

export async function remove(id: string, props: Record<string, unknown>): Promise<void> {
  const conn = ResourceConnectionSchema.optional().parse(props.connection);
  const client = await clientFor(conn);
  await removeObject(`Backend "${id}"`, () => client.deleteBackend(id));
}
