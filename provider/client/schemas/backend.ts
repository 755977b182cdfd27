// Wire shape of a backend (`backend` in v2.9, `backend_base` in v3), limited to
// the fields we type; the rest passes through untouched.
import { z } from "zod";
import { Millis, NAME_PATTERN, Toggle } from "./common";
import { ServerParamsSchema } from "./server";

export const BALANCE_ALGORITHMS = ["first", "hash", "hdr", "leastconn", "random", "rdp-cookie", "roundrobin",
  "source", "static-rr", "uri", "url_param"] as const;

export const BalanceSchema = z.looseObject({
  /** Load-balancing algorithm (`balance <algorithm>`). */
  algorithm: z.enum(BALANCE_ALGORITHMS),
  /** Header name, for algorithm `hdr`. */
  hdr_name: z.string().optional(),
  /** Query parameter, for algorithm `url_param`. */
  url_param: z.string().optional(),
  /** Directories of the path hashed, for algorithm `uri` (`depth`). */
  uri_depth: z.number().int().optional(),
  /** Characters of the URI hashed, for algorithm `uri` (`len`). */
  uri_len: z.number().int().optional(),
});

export const HTTP_CHECK_METHODS = ["HEAD", "PUT", "POST", "GET", "TRACE", "PATCH", "DELETE", "CONNECT", "OPTIONS"] as const;

export const HttpchkParamsSchema = z.looseObject({
  /** HTTP method of the check. HAProxy's default: OPTIONS. */
  method: z.enum(HTTP_CHECK_METHODS).optional(),
  /** Path the check requests (no spaces). HAProxy's default: /. */
  uri: z.string().regex(/^[^ ]*$/).optional(),
  /** HTTP version of the check request, e.g. HTTP/1.1. */
  version: z.string().optional(),
});

export const CookieSchema = z.looseObject({
  /** Cookie name. */
  name: z.string(),
  /** How the cookie is set: insert, rewrite or prefix. */
  type: z.enum(["rewrite", "insert", "prefix"]).optional(),
  /** Do not send the cookie to the server when it is already known. */
  indirect: z.boolean().optional(),
  /** Mark responses that set the cookie as not cacheable. */
  nocache: z.boolean().optional(),
  /** Add the HttpOnly attribute. */
  httponly: z.boolean().optional(),
  /** Add the Secure attribute. */
  secure: z.boolean().optional(),
  /** Keep a cookie the server sets itself. */
  preserve: z.boolean().optional(),
  /** Insert the cookie only on responses to POST requests. */
  postonly: z.boolean().optional(),
  /** Generate cookie values from the server's address and port (`dynamic-cookie-key`). */
  dynamic: z.boolean().optional(),
});

export const ForwardforSchema = z.looseObject({
  /** Always `enabled`: the option is on. */
  enabled: z.literal("enabled"),
  /** Header name instead of X-Forwarded-For. */
  header: z.string().optional(),
  /** Network (address/mask) whose clients get no header. */
  except: z.string().optional(),
  /** Add the header only when the request has none. */
  ifnone: z.boolean().optional(),
});

export const BackendSchema = z.looseObject({
  /** Backend name (letters, digits, `-_.:`). */
  name: z.string().regex(NAME_PATTERN),
  /** Proxy mode: http, tcp or log. */
  mode: z.enum(["http", "tcp", "log"]).optional(),
  /** Load balancing (`balance`). */
  balance: BalanceSchema.optional(),
  /** Health-check type (`option httpchk`, `option tcp-check`, ...). */
  adv_check: z.enum(["httpchk", "ldap-check", "mysql-check", "pgsql-check", "redis-check", "smtpchk", "ssl-hello-chk", "tcp-check"]).optional(),
  /** Parameters of `option httpchk`. */
  httpchk_params: HttpchkParamsSchema.optional(),
  /** `timeout check`, in milliseconds; null clears it. */
  check_timeout: Millis.optional(),
  /** `timeout connect`, in milliseconds; null clears it. */
  connect_timeout: Millis.optional(),
  /** `timeout server`, in milliseconds; null clears it. */
  server_timeout: Millis.optional(),
  /** `timeout queue`, in milliseconds; null clears it. */
  queue_timeout: Millis.optional(),
  /** `timeout tunnel`, in milliseconds; null clears it. */
  tunnel_timeout: Millis.optional(),
  /** `timeout http-request`, in milliseconds; null clears it. */
  http_request_timeout: Millis.optional(),
  /** `timeout http-keep-alive`, in milliseconds; null clears it. */
  http_keep_alive_timeout: Millis.optional(),
  /** Cookie persistence (`cookie`). */
  cookie: CookieSchema.optional(),
  /** `option forwardfor`. */
  forwardfor: ForwardforSchema.optional(),
  /** `default-server` options. */
  default_server: ServerParamsSchema.optional(),
  /** Connection retries to a server after a failure (`retries`); null clears it. HAProxy's default: 3. */
  retries: z.number().int().nullable().optional(),
  /** Free-text description of the backend. */
  description: z.string().optional(),
  /** Name of the defaults section this backend inherits from. */
  from: z.string().optional(),
  /** `option redispatch`: `enabled` toggle and `interval` (retries between redispatches). */
  redispatch: z.looseObject({
    /** `enabled` or `disabled`. */
    enabled: Toggle,
    /** Redispatch on every Nth retry (negative: on the Nth retry before the last). HAProxy's default: -1, the last retry. */
    interval: z.number().int().optional(),
  }).optional(),
});

export type Backend = z.output<typeof BackendSchema>;
