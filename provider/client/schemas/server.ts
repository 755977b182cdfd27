// Wire shapes of servers (definitions `server_params`, `server`, `runtime_server`),
// identical field names in v2.9 and v3. Unknown fields pass through.
import { z } from "zod";
import { Millis, Toggle } from "./common";

export const ServerParamsSchema = z.looseObject({
  /** Share of traffic, 0-256; null clears it. HAProxy's default: 1. */
  weight: z.number().int().min(0).max(256).nullable().optional(),
  /** Health-check the server: `enabled` or `disabled`. */
  check: Toggle.optional(),
  /** Milliseconds between health checks; null clears it. HAProxy's default: 2000. */
  inter: Millis.optional(),
  /** Milliseconds between checks while the server is changing state; null clears it. Defaults to `inter`. */
  fastinter: Millis.optional(),
  /** Milliseconds between checks while the server is down; null clears it. Defaults to `inter`. */
  downinter: Millis.optional(),
  /** Consecutive successful checks to mark the server up; null clears it. HAProxy's default: 2. */
  rise: z.number().int().positive().nullable().optional(),
  /** Consecutive failed checks to mark the server down; null clears it. HAProxy's default: 3. */
  fall: z.number().int().positive().nullable().optional(),
  /** `enabled`: used only when every non-backup server is down. */
  backup: Toggle.optional(),
  /** `enabled`: the server is in maintenance and takes no traffic. */
  maintenance: Toggle.optional(),
  /** `enabled`: connect to the server over TLS. */
  ssl: Toggle.optional(),
  /** Verify the server certificate: `none` or `required`. */
  verify: z.enum(["none", "required"]).optional(),
  /** Host name the server certificate must match. */
  verifyhost: z.string().optional(),
  /** SNI expression sent to the server, e.g. `str(api.internal)`. */
  sni: z.string().optional(),
  /** CA file used to verify the server certificate. */
  ssl_cafile: z.string().optional(),
  /** ALPN protocols offered to the server, comma-separated, e.g. `h2,http/1.1`. */
  alpn: z.string().optional(),
  /** Maximum concurrent connections to the server; null clears it (no limit). */
  maxconn: z.number().int().nullable().optional(),
  /** Milliseconds over which a server coming back up ramps to its full weight; null clears it. */
  slowstart: Millis.optional(),
  /** Port the health checks use, 1-65535, when not the server's port; null clears it. */
  health_check_port: z.number().int().min(1).max(65535).nullable().optional(),
  /** Cookie value that routes to this server with `cookie` persistence. */
  cookie: z.string().optional(),
});

export const ServerSchema = ServerParamsSchema.extend({
  /** Server name, unique in its backend. */
  name: z.string().regex(/^[^\s]+$/),
  /** IP address or host name. */
  address: z.string().regex(/^[^\s]+$/),
  /** TCP port, 1-65535; null for none (the client's destination port). */
  port: z.number().int().min(1).max(65535).nullable().optional(),
  /** Numeric server id (`id`); null lets HAProxy choose. */
  id: z.number().int().nullable().optional(),
});

export const RuntimeServerSchema = z.looseObject({
  /** Server name. */
  name: z.string().optional(),
  /** Address HAProxy currently uses. */
  address: z.string().optional(),
  /** Port HAProxy currently uses. */
  port: z.number().int().nullable().optional(),
  /** Administrative state: ready, maint or drain. */
  admin_state: z.enum(["ready", "maint", "drain"]).optional(),
  /** Operational state: up, down or stopping. */
  operational_state: z.enum(["up", "down", "stopping"]).optional(),
});

export type ServerParams = z.output<typeof ServerParamsSchema>;
export type Server = z.output<typeof ServerSchema>;
export type RuntimeServer = z.output<typeof RuntimeServerSchema>;
