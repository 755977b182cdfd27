// Wire shapes of a frontend and its children (v2.9 `frontend`, v3 `frontend_base`,
// `bind`, `acl`, `backend_switching_rule`, `http_request_rule`, `http_response_rule`,
// `tcp_request_rule`), limited to the fields we type; the rest passes through.
import { z } from "zod";
import { Millis, NAME_PATTERN } from "./common";
import { ForwardforSchema } from "./backend";

export const FrontendSchema = z.looseObject({
  name: z.string().regex(NAME_PATTERN),
  mode: z.enum(["http", "tcp"]).optional(),
  maxconn: z.number().int().nullable().optional(),
  client_timeout: Millis.optional(),
  http_request_timeout: Millis.optional(),
  http_keep_alive_timeout: Millis.optional(),
  forwardfor: ForwardforSchema.optional(),
  default_backend: z.string().regex(NAME_PATTERN).optional(),
  from: z.string().optional(),
});

export const BindSchema = z.looseObject({
  name: z.string().regex(/^[^\s]+$/),
  address: z.string().regex(/^[^\s]+$/).optional(),
  port: z.number().int().min(1).max(65535).nullable().optional(),
  ssl: z.boolean().optional(),
  ssl_certificate: z.string().regex(/^[^\s]+$/).optional(),
  alpn: z.string().regex(/^[^\s]+$/).optional(),
});

const Cond = { cond: z.enum(["if", "unless"]).optional(), cond_test: z.string().optional() };

export const AclSchema = z.looseObject({
  acl_name: z.string(),
  criterion: z.string(),
  value: z.string().optional(),
});

export const SwitchingRuleSchema = z.looseObject({ name: z.string().regex(/^[^\s]+$/), ...Cond });

export const HttpRuleSchema = z.looseObject({ type: z.string(), ...Cond });

export const TcpRequestRuleSchema = z.looseObject({
  type: z.enum(["connection", "content", "inspect-delay", "session"]),
  action: z.string().optional(),
  timeout: z.number().int().nullable().optional(),
  ...Cond,
});

/** The lists a frontend owns, by their wire name; each is replaced as a whole. */
export const FRONTEND_LISTS = ["acls", "backend_switching_rules", "http_request_rules", "http_response_rules", "tcp_request_rules"] as const;
export type FrontendList = typeof FRONTEND_LISTS[number];

export type Frontend = z.output<typeof FrontendSchema>;
export type Bind = z.output<typeof BindSchema>;
export type Acl = z.output<typeof AclSchema>;
export type SwitchingRule = z.output<typeof SwitchingRuleSchema>;
export type HttpRule = z.output<typeof HttpRuleSchema>;
export type TcpRequestRule = z.output<typeof TcpRequestRuleSchema>;

/** A frontend with everything it owns, in haproxy.cfg order within each list. */
export interface FrontendSection {
  frontend: Frontend;
  binds: Bind[];
  acls: Acl[];
  backend_switching_rules: SwitchingRule[];
  http_request_rules: HttpRule[];
  http_response_rules: HttpRule[];
  tcp_request_rules: TcpRequestRule[];
}
