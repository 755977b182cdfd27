// Wire shapes of servers (definitions `server_params`, `server`, `runtime_server`),
// identical field names in v2.9 and v3. Unknown fields pass through.
import { z } from "zod";
import { Millis, Toggle } from "./common";

export const ServerParamsSchema = z.looseObject({
  weight: z.number().int().min(0).max(256).nullable().optional(),
  check: Toggle.optional(),
  inter: Millis.optional(),
  fastinter: Millis.optional(),
  downinter: Millis.optional(),
  rise: z.number().int().positive().nullable().optional(),
  fall: z.number().int().positive().nullable().optional(),
  backup: Toggle.optional(),
  maintenance: Toggle.optional(),
  ssl: Toggle.optional(),
  verify: z.enum(["none", "required"]).optional(),
  verifyhost: z.string().optional(),
  sni: z.string().optional(),
  ssl_cafile: z.string().optional(),
  alpn: z.string().optional(),
  maxconn: z.number().int().nullable().optional(),
  slowstart: Millis.optional(),
  health_check_port: z.number().int().min(1).max(65535).nullable().optional(),
  cookie: z.string().optional(),
});

export const ServerSchema = ServerParamsSchema.extend({
  name: z.string().regex(/^[^\s]+$/),
  address: z.string().regex(/^[^\s]+$/),
  port: z.number().int().min(1).max(65535).nullable().optional(),
  id: z.number().int().nullable().optional(),
});

export const RuntimeServerSchema = z.looseObject({
  name: z.string().optional(),
  address: z.string().optional(),
  port: z.number().int().nullable().optional(),
  admin_state: z.enum(["ready", "maint", "drain"]).optional(),
  operational_state: z.enum(["up", "down", "stopping"]).optional(),
});

export type ServerParams = z.output<typeof ServerParamsSchema>;
export type Server = z.output<typeof ServerSchema>;
export type RuntimeServer = z.output<typeof RuntimeServerSchema>;
