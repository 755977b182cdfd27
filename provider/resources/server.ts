// The life of a Server: inputs, check, diff, create, read, update, delete.
// Weight, maintenance, drain, address and port changes go through HAProxy's
// runtime API (no reload); the client decides that from what changed.
import { z } from "zod";
import { ServerSchema, isDpapiError, DpapiError, type Server } from "../client";
import { clientFor } from "../connection";
import {
  ResourceConnectionSchema, toState, checkInputs, compact, diffInputs, inputsOfState, withoutProvider,
  type CheckResult, type DiffResult,
  removeObject,
} from "./common";
import { ServerOptionsSchema, serverOptionsFromWire, serverOptionsToWire } from "./server-options";

export const ServerInputsSchema = ServerOptionsSchema.extend({
  backend: z.string().regex(/^[A-Za-z0-9\-_.:]+$/, "must be an existing backend's name").describe("Name of the backend this server belongs to. Changing it replaces the server."),
  name: z.string().regex(/^[^\s]+$/, "must not contain whitespace").describe("Server name. Defaults to the Pulumi resource name. Changing it replaces the server."),
  address: z.string().regex(/^[^\s]+$/, "must be an IP address or host name without whitespace").describe("IP address or host name."),
  port: z.number({ error: "must be an integer from 1 to 65535" }).int().min(1, "must be from 1 to 65535").max(65535, "must be from 1 to 65535").optional().describe("TCP port, 1-65535."),
  maintenance: z.boolean().default(false).describe("Put the server in maintenance (takes no traffic). Changed without a reload."),
  drain: z.boolean().default(false).describe("Drain the server: no new sessions (weight 0), existing ones finish. Changed without a reload."),
  extra: ServerSchema.partial().omit({ name: true, address: true, port: true }).optional()
    .describe("Any other field of the DPAPI server model (snake_case), validated against it."),
  adopt: z.boolean().default(false).describe("Take over a server that already exists instead of failing with 'already exists'."),
  connection: ResourceConnectionSchema.optional(),
});

export type ServerInputs = z.input<typeof ServerInputsSchema>;
type Desired = z.output<typeof ServerInputsSchema>;
export type ServerState = Desired & { stateVersion: number };

const INPUT_KEYS = [...Object.keys(ServerInputsSchema.shape)];
const OWNED_WIRE_FIELDS = ["address", "port", "weight", "check", "inter", "rise", "fall", "backup", "ssl", "verify", "sni",
  "ssl_cafile", "maxconn", "maintenance"];

export const serverId = (backend: string, name: string) => `${backend}/${name}`;

function splitId(id: string): { backend: string; name: string } {
  const i = id.indexOf("/");
  return { backend: id.slice(0, i), name: id.slice(i + 1) };
}

export function toWire(d: Desired): Server {
  return compact({
    ...(d.extra ?? {}),
    ...serverOptionsToWire(d),
    name: d.name,
    address: d.address,
    port: d.port,
    weight: d.drain ? 0 : d.weight,
    // Always explicit: DPAPI v3 on HAProxy < 3.0 leaves runtime-added servers in maintenance otherwise.
    maintenance: d.maintenance ? "enabled" as const : "disabled" as const,
  });
}

function fromWire(s: Server, like: Desired): Partial<Desired> {
  const options = serverOptionsFromWire(s, like);
  const drained = like.drain && s.weight === 0;
  const extra = like.extra ? Object.fromEntries(Object.keys(like.extra).map((k) => [k, (s as Record<string, unknown>)[k]])) : undefined;
  return compact({
    ...options,
    weight: drained ? like.weight : options.weight,
    drain: like.drain ? drained : false,
    name: s.name,
    address: s.address,
    port: s.port ?? undefined,
    maintenance: s.maintenance === "enabled",
    extra,
  }) as Partial<Desired>;
}

function desired(inputs: Record<string, unknown>): Desired {
  return ServerInputsSchema.parse(withoutProvider(inputs));
}

const state = (d: Desired): ServerState => toState(d);

function merged(current: Server, want: Server): Server {
  const kept = Object.fromEntries(Object.entries(current).filter(([k]) => !OWNED_WIRE_FIELDS.includes(k) && !(k in want)));
  return { ...kept, ...want };
}

export async function check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<CheckResult<Record<string, unknown>>> {
  return checkInputs("Server", ServerInputsSchema, news);
}

export async function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<DiffResult> {
  return diffInputs(INPUT_KEYS, ["name", "backend"], olds, withoutProvider(news));
}

export async function create(inputs: Record<string, unknown>) {
  const d = desired(inputs);
  const client = await clientFor(d.connection);
  const want = toWire(d);
  const id = serverId(d.backend, d.name);
  if (d.adopt) {
    const current = await client.getServer(d.backend, d.name);
    if (current) {
      await client.replaceServer(d.backend, merged(current, want), current);
      return { id, outs: state(d) };
    }
  }
  try {
    await client.createServer(d.backend, want);
  } catch (e) {
    if (isDpapiError(e, "DPAPI_EXISTS")) {
      throw new DpapiError({ code: "DPAPI_EXISTS", message: `Server "${d.name}" already exists in backend "${d.backend}"`,
        hint: "set `adopt: true` on this Server to take it over, or choose another name" });
    }
    throw e;
  }
  return { id, outs: state(d) };
}

export async function read(id: string, props: Record<string, unknown>) {
  const { backend, name } = splitId(id);
  const old = ServerInputsSchema.parse({ ...inputsOfState(props), backend: props.backend ?? backend, name: props.name ?? name });
  const client = await clientFor(old.connection);
  const live = await client.getServer(backend, name);
  if (!live) return {};
  const observed = state({ adopt: old.adopt, connection: old.connection, backend, ...fromWire(live, old) } as Desired);
  return { id, props: observed, inputs: observed };
}

export async function update(id: string, _olds: Record<string, unknown>, news: Record<string, unknown>) {
  const d = desired(news);
  const { backend, name } = splitId(id);
  const client = await clientFor(d.connection);
  const current = await client.getServer(backend, name);
  if (!current) {
    throw new DpapiError({ code: "DPAPI_NOT_FOUND", message: `Server "${name}" no longer exists in backend "${backend}"`,
      hint: "run `pulumi refresh` so Pulumi forgets it, then `pulumi up` recreates it" });
  }
  await client.replaceServer(backend, merged(current, toWire(d)), current);
  return { outs: state(d) };
}

export async function remove(id: string, props: Record<string, unknown>): Promise<void> {
  const { backend, name } = splitId(id);
  const client = await clientFor(ResourceConnectionSchema.optional().parse(props.connection));
  await removeObject(`Server "${id}"`, () => client.deleteServer(backend, name));
}
