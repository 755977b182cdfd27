// Wire shape of a Consul service-discovery definition (`consul`, same in v2.9 and v3).
import { z } from "zod";

export const ConsulSchema = z.looseObject({
  id: z.string().nullable().optional(),
  address: z.string().regex(/^[^\s]+$/),
  port: z.number().int().min(1).max(65535),
  enabled: z.boolean(),
  retry_timeout: z.number().int().min(1),
  mode: z.enum(["http", "https"]).optional(),
  token: z.string().optional(),
  namespace: z.string().optional(),
  service_allowlist: z.array(z.string()).nullable().optional(),
  service_denylist: z.array(z.string()).nullable().optional(),
  service_name_regexp: z.string().optional(),
  health_check_policy: z.enum(["none", "any", "all", "min"]).optional(),
  health_check_policy_min: z.number().int().optional(),
  server_slots_base: z.number().int().optional(),
  server_slots_growth_type: z.enum(["linear", "exponential"]).optional(),
  server_slots_growth_increment: z.number().int().optional(),
  defaults: z.string().optional(),
  description: z.string().optional(),
});

export type Consul = z.output<typeof ConsulSchema>;
