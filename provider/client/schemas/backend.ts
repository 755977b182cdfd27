// Wire shape of a backend (`backend` in v2.9, `backend_base` in v3), limited to
// the fields we type; the rest passes through untouched.
import { z } from "zod";
import { Millis, NAME_PATTERN, Toggle } from "./common";
import { ServerParamsSchema } from "./server";

export const BALANCE_ALGORITHMS = ["first", "hash", "hdr", "leastconn", "random", "rdp-cookie", "roundrobin",
  "source", "static-rr", "uri", "url_param"] as const;

export const BalanceSchema = z.looseObject({
  algorithm: z.enum(BALANCE_ALGORITHMS),
  hdr_name: z.string().optional(),
  url_param: z.string().optional(),
  uri_depth: z.number().int().optional(),
  uri_len: z.number().int().optional(),
});

export const HTTP_CHECK_METHODS = ["HEAD", "PUT", "POST", "GET", "TRACE", "PATCH", "DELETE", "CONNECT", "OPTIONS"] as const;

export const HttpchkParamsSchema = z.looseObject({
  method: z.enum(HTTP_CHECK_METHODS).optional(),
  uri: z.string().regex(/^[^ ]*$/).optional(),
  version: z.string().optional(),
});

export const CookieSchema = z.looseObject({
  name: z.string(),
  type: z.enum(["rewrite", "insert", "prefix"]).optional(),
  indirect: z.boolean().optional(),
  nocache: z.boolean().optional(),
  httponly: z.boolean().optional(),
  secure: z.boolean().optional(),
  preserve: z.boolean().optional(),
  postonly: z.boolean().optional(),
  dynamic: z.boolean().optional(),
});

export const ForwardforSchema = z.looseObject({
  enabled: z.literal("enabled"),
  header: z.string().optional(),
  except: z.string().optional(),
  ifnone: z.boolean().optional(),
});

export const BackendSchema = z.looseObject({
  name: z.string().regex(NAME_PATTERN),
  mode: z.enum(["http", "tcp", "log"]).optional(),
  balance: BalanceSchema.optional(),
  adv_check: z.enum(["httpchk", "ldap-check", "mysql-check", "pgsql-check", "redis-check", "smtpchk", "ssl-hello-chk", "tcp-check"]).optional(),
  httpchk_params: HttpchkParamsSchema.optional(),
  check_timeout: Millis.optional(),
  connect_timeout: Millis.optional(),
  server_timeout: Millis.optional(),
  queue_timeout: Millis.optional(),
  tunnel_timeout: Millis.optional(),
  http_request_timeout: Millis.optional(),
  http_keep_alive_timeout: Millis.optional(),
  cookie: CookieSchema.optional(),
  forwardfor: ForwardforSchema.optional(),
  default_server: ServerParamsSchema.optional(),
  retries: z.number().int().nullable().optional(),
  description: z.string().optional(),
  from: z.string().optional(),
  redispatch: z.looseObject({ enabled: Toggle, interval: z.number().int().optional() }).optional(),
});

export type Backend = z.output<typeof BackendSchema>;
