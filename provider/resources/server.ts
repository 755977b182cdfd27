// The life of a Server: inputs, check, diff, create, read, update, delete.
// Weight, maintenance, drain, address and port changes go through HAProxy's
// runtime API (no reload); the client decides that from what changed.
import { z } from "zod";
import { isDpapiError, DpapiError } from "../client";
import { clientFor } from "../connection";
import {
  ResourceConnectionSchema, toState, checkInputs, diffInputs, inputsOfState, withoutProvider,
  type CheckResult, type DiffResult,
  removeObject,
} from "./common";
import { ServerFieldsSchema, mergeServer, serverFromWire, serverToWire } from "./server-options";

export const ServerInputsSchema = ServerFieldsSchema.extend({
  backend: z.string().regex(/^[A-Za-z0-9\-_.:]+$/, "must be an existing backend's name").describe("Name of the backend this server belongs to. Changing it replaces the server."),
  adopt: z.boolean().default(false).describe("Take over a server that already exists instead of failing with 'already exists'."),
  connection: ResourceConnectionSchema.optional(),
});

export type ServerInputs = z.input<typeof ServerInputsSchema>;
type Desired = z.output<typeof ServerInputsSchema>;
export type ServerState = Desired & { stateVersion: number };

const INPUT_KEYS = [...Object.keys(ServerInputsSchema.shape)];
export const serverId = (backend: string, name: string) => `${backend}/${name}`;

function splitId(id: string): { backend: string; name: string } {
  const i = id.indexOf("/");
  return { backend: id.slice(0, i), name: id.slice(i + 1) };
}

function desired(inputs: Record<string, unknown>): Desired {
  return ServerInputsSchema.parse(withoutProvider(inputs));
}

const state = (d: Desired): ServerState => toState(d);

export async function check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<CheckResult<Record<string, unknown>>> {
  return checkInputs("Server", ServerInputsSchema, news);
}

export async function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<DiffResult> {
  return diffInputs(INPUT_KEYS, ["name", "backend"], olds, withoutProvider(news));
}

export async function create(inputs: Record<string, unknown>) {
  const d = desired(inputs);
  const client = await clientFor(d.connection);
  const want = serverToWire(d);
  const id = serverId(d.backend, d.name);
  if (d.adopt) {
    const current = await client.getServer(d.backend, d.name);
    if (current) {
      await client.replaceServer(d.backend, mergeServer(current, want), current);
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
  const live = await client.readServer(backend, name);
  if (!live) return {};
  const observed = state({ adopt: old.adopt, connection: old.connection, backend, ...serverFromWire(live, old) } as Desired);
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
  await client.replaceServer(backend, mergeServer(current, serverToWire(d)), current);
  return { outs: state(d) };
}

export async function remove(id: string, props: Record<string, unknown>): Promise<void> {
  const { backend, name } = splitId(id);
  const client = await clientFor(ResourceConnectionSchema.optional().parse(props.connection));
  await removeObject(`Server "${id}"`, () => client.deleteServer(backend, name));
}
