// What a server is, shared by Server, Backend.servers (inline servers) and
// Backend.defaultServer (`server_params` in the DPAPI model): the input schema
// and the mapping to and from the DPAPI wire model.
import { z } from "zod";
import { ServerSchema, type Server, type ServerParams } from "../client";
import { compact } from "./common";

const toggle = (b: boolean | undefined) => (b === undefined ? undefined : b ? "enabled" as const : "disabled" as const);
const bool = (t: string | undefined) => (t === undefined ? undefined : t === "enabled");

export const ServerOptionsSchema = z.strictObject({
  /** Share of traffic, 0-256 (relative to the other servers). Changed without a reload. Default: HAProxy's, 1. */
  weight: z.number().int().min(0).max(256).optional().describe("Share of traffic, 0-256. Changed without a reload."),
  /** Health-check this server. Default: false. */
  check: z.boolean().optional().describe("Health-check this server."),
  /** Interval between health checks, in milliseconds. Default: HAProxy's, 2000. */
  inter: z.number().int().positive().optional().describe("Interval between checks, in milliseconds."),
  /** Consecutive successful checks to mark the server up. Default: HAProxy's, 2. */
  rise: z.number().int().positive().optional().describe("Consecutive successful checks to mark the server up."),
  /** Consecutive failed checks to mark the server down. Default: HAProxy's, 3. */
  fall: z.number().int().positive().optional().describe("Consecutive failed checks to mark the server down."),
  /** Only used when every non-backup server is down. Default: false. */
  backup: z.boolean().optional().describe("Only used when every non-backup server is down."),
  /** Connect to the server over TLS. Default: false. */
  ssl: z.boolean().optional().describe("Connect to the server over TLS."),
  /** Verify the server's certificate (with `ssl`): `none` or `required`. Default: HAProxy's (`required` unless `ssl-server-verify none`). */
  verify: z.enum(["none", "required"]).optional().describe("Verify the server's certificate (with ssl)."),
  /** SNI expression sent to the server (with `ssl`), e.g. `str(api.internal)`. */
  sni: z.string().optional().describe("SNI expression sent to the server (with ssl), e.g. `str(api.internal)`."),
  /** CA file to verify the server's certificate (with `ssl` and `verify: required`). */
  caFile: z.string().optional().describe("CA file to verify the server's certificate (with ssl + verify required)."),
  /** Maximum concurrent connections to this server. Default: no limit. */
  maxconn: z.number().int().positive().optional().describe("Maximum concurrent connections to this server."),
});

export type ServerOptions = z.output<typeof ServerOptionsSchema>;

export function serverOptionsToWire(o: ServerOptions): ServerParams {
  return compact({
    weight: o.weight, check: toggle(o.check), inter: o.inter, rise: o.rise, fall: o.fall, backup: toggle(o.backup),
    ssl: toggle(o.ssl), verify: o.verify, sni: o.sni, ssl_cafile: o.caFile, maxconn: o.maxconn,
  });
}

/** Reads options back; a switch the user never set reads as unset when HAProxy has it off. */
export function serverOptionsFromWire(w: ServerParams, like: ServerOptions | undefined): ServerOptions {
  const sw = (t: string | undefined, k: keyof ServerOptions) => {
    const v = bool(t);
    return v === false && like?.[k] === undefined ? undefined : v;
  };
  return compact({
    weight: w.weight ?? undefined, check: sw(w.check, "check"), inter: w.inter ?? undefined, rise: w.rise ?? undefined,
    fall: w.fall ?? undefined, backup: sw(w.backup, "backup"), ssl: sw(w.ssl, "ssl"), verify: w.verify, sni: w.sni,
    caFile: w.ssl_cafile, maxconn: w.maxconn ?? undefined,
  });
}

/** A server's own fields: everything but where it lives (backend) and how it is managed (adopt, connection). */
export const ServerFieldsSchema = ServerOptionsSchema.extend({
  /** Server name, unique in its backend. For a `Server`, defaults to the Pulumi resource name. Changing it replaces the server. */
  name: z.string().regex(/^[^\s]+$/, "must not contain whitespace").describe("Server name. Defaults to the Pulumi resource name. Changing it replaces the server."),
  /** IP address or host name. Changed without a reload. */
  address: z.string().regex(/^[^\s]+$/, "must be an IP address or host name without whitespace").describe("IP address or host name. Changed without a reload."),
  /** TCP port, 1-65535. Changed without a reload. Default: none (the port the client connected to). */
  port: z.number({ error: "must be an integer from 1 to 65535" }).int().min(1, "must be from 1 to 65535").max(65535, "must be from 1 to 65535").optional().describe("TCP port, 1-65535. Changed without a reload."),
  /** Put the server in maintenance (takes no traffic). Changed without a reload. Default: false. */
  maintenance: z.boolean().default(false).describe("Put the server in maintenance (takes no traffic). Changed without a reload."),
  /** Drain the server: no new sessions (weight 0), existing ones finish. Changed without a reload. Default: false. */
  drain: z.boolean().default(false).describe("Drain the server: no new sessions (weight 0), existing ones finish. Changed without a reload."),
  /** Any other field of the DPAPI server model (snake_case), validated against it. */
  extra: ServerSchema.partial().omit({ name: true, address: true, port: true }).optional()
    .describe("Any other field of the DPAPI server model (snake_case), validated against it."),
});

export type ServerFields = z.output<typeof ServerFieldsSchema>;

/** Wire fields a server declaration owns; the rest of a live server is kept as it is. */
const OWNED_SERVER_WIRE_FIELDS = ["address", "port", "weight", "check", "inter", "rise", "fall", "backup", "ssl", "verify", "sni",
  "ssl_cafile", "maxconn", "maintenance"];

export function serverToWire(d: ServerFields): Server {
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

/** The declaration that describes a live server, shaped like `like` (what the program declared). */
export function serverFromWire(s: Server, like: ServerFields): ServerFields {
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
  }) as ServerFields;
}

/** `want` over what the live server has and no declaration owns (e.g. fields set by hand). */
export function mergeServer(current: Server, want: Server): Server {
  const kept = Object.fromEntries(Object.entries(current).filter(([k]) => !OWNED_SERVER_WIRE_FIELDS.includes(k) && !(k in want)));
  return { ...kept, ...want };
}
