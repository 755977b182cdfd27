// Wire shapes of a frontend and its children (v2.9 `frontend`, v3 `frontend_base`,
// `bind`, `acl`, `backend_switching_rule`, `http_request_rule`, `http_response_rule`,
// `tcp_request_rule`), limited to the fields we type; the rest passes through.
import { z } from "zod";
import { Millis, NAME_PATTERN } from "./common";
import { ForwardforSchema } from "./backend";

export const FrontendSchema = z.looseObject({
  /** Frontend name (letters, digits, `-_.:`). */
  name: z.string().regex(NAME_PATTERN),
  /** Proxy mode: http or tcp. */
  mode: z.enum(["http", "tcp"]).optional(),
  /** Maximum concurrent connections; null clears it. */
  maxconn: z.number().int().nullable().optional(),
  /** `timeout client`, in milliseconds; null clears it. */
  client_timeout: Millis.optional(),
  /** `timeout http-request`, in milliseconds; null clears it. */
  http_request_timeout: Millis.optional(),
  /** `timeout http-keep-alive`, in milliseconds; null clears it. */
  http_keep_alive_timeout: Millis.optional(),
  /** `option forwardfor`. */
  forwardfor: ForwardforSchema.optional(),
  /** Backend for requests no `use_backend` rule takes. */
  default_backend: z.string().regex(NAME_PATTERN).optional(),
  /** Name of the defaults section this frontend inherits from. */
  from: z.string().optional(),
});

export const BindSchema = z.looseObject({
  /** Bind name, unique in the frontend. */
  name: z.string().regex(/^[^\s]+$/),
  /** Address to listen on, e.g. 0.0.0.0. */
  address: z.string().regex(/^[^\s]+$/).optional(),
  /** TCP port, 1-65535. */
  port: z.number().int().min(1).max(65535).nullable().optional(),
  /** Terminate TLS on this bind. */
  ssl: z.boolean().optional(),
  /** Path of the PEM HAProxy presents (`crt`). */
  ssl_certificate: z.string().regex(/^[^\s]+$/).optional(),
  /** ALPN protocols, comma-separated, e.g. `h2,http/1.1`. */
  alpn: z.string().regex(/^[^\s]+$/).optional(),
});

/** Condition fields shared by rules. */
const Cond = {
  /** `if` or `unless`: how `cond_test` applies. */
  cond: z.enum(["if", "unless"]).optional(),
  /** The HAProxy condition, e.g. `is_api` or `{ ssl_fc }`. */
  cond_test: z.string().optional(),
};

export const AclSchema = z.looseObject({
  /** ACL name. */
  acl_name: z.string(),
  /** Fetch (and converters), e.g. `path_beg`. */
  criterion: z.string(),
  /** Pattern(s) to match. */
  value: z.string().optional(),
});

export const SwitchingRuleSchema = z.looseObject({
  /** Backend to use (`use_backend`): a name or a `%[…]` expression. */
  name: z.string().regex(/^[^\s]+$/),
  ...Cond,
});

export const HttpRuleSchema = z.looseObject({
  /** Rule type, e.g. `set-header` or `set-status`; the other fields are the DPAPI's for that type (snake_case). */
  type: z.string(),
  ...Cond,
});

export const TcpRequestRuleSchema = z.looseObject({
  /** When the rule runs: connection, content, inspect-delay or session. */
  type: z.enum(["connection", "content", "inspect-delay", "session"]),
  /** Action, e.g. `accept` or `reject`. */
  action: z.string().optional(),
  /** For `inspect-delay`: how long to wait for content, in milliseconds. */
  timeout: z.number().int().nullable().optional(),
  ...Cond,
});

export const FilterSchema = z.looseObject({
  /** Filter type, e.g. `spoe`, `compression` or `trace`. */
  type: z.string(),
  /** For `spoe`: the scope of the SPOE file to use. */
  spoe_engine: z.string().optional(),
  /** For `spoe`: path of the SPOE file. */
  spoe_config: z.string().optional(),
  /** For `trace`: the name printed with its lines. */
  trace_name: z.string().optional(),
});

/** The lists a frontend owns, by their wire name; each is replaced as a whole. */
export const FRONTEND_LISTS = ["acls", "backend_switching_rules", "http_request_rules", "http_response_rules", "tcp_request_rules", "filters"] as const;
export type FrontendList = typeof FRONTEND_LISTS[number];

export type Frontend = z.output<typeof FrontendSchema>;
export type Bind = z.output<typeof BindSchema>;
export type Acl = z.output<typeof AclSchema>;
export type SwitchingRule = z.output<typeof SwitchingRuleSchema>;
export type HttpRule = z.output<typeof HttpRuleSchema>;
export type TcpRequestRule = z.output<typeof TcpRequestRuleSchema>;
export type Filter = z.output<typeof FilterSchema>;

/** A frontend with everything it owns, in haproxy.cfg order within each list. */
export interface FrontendSection {
  frontend: Frontend;
  binds: Bind[];
  acls: Acl[];
  backend_switching_rules: SwitchingRule[];
  http_request_rules: HttpRule[];
  http_response_rules: HttpRule[];
  tcp_request_rules: TcpRequestRule[];
  filters: Filter[];
}
