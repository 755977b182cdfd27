// The life of a Frontend: inputs, check (with HAProxy's own validation of the
// would-be configuration), diff, create, read, update, delete. The Frontend owns
// its lists: binds, ACLs, rules and routes become exactly the declared ones, in
// the declared order.
import { z } from "zod";
import {
  BindSchema, FrontendSchema, HttpRuleSchema, NAME_PATTERN, TcpRequestRuleSchema, isDpapiError, DpapiError,
  type Bind, type Frontend, type FrontendSection, type HttpRule, type TcpRequestRule,
} from "../client";
import { clientFor } from "../connection";
import { BUCKETS, parseSplitTarget, splitEntries, splitFromEntries, splitMapName, splitTarget, type SplitPart } from "./frontend-split";
import { FilterInputSchema, filterFromWire, filterToWire, spoeEnginesUnique } from "./filters";
import { applyEntries, parseContents, renderContents, type MapEntry } from "./map-file";
import type { DataplaneClient } from "../client";
import {
  ResourceConnectionSchema, toState, checkInputs, compact, diffInputs, inputsOfState, withoutProvider, UNKNOWN,
  type CheckResult, type CheckFailure, type DiffResult,
  removeObject,
} from "./common";

const ms = (what: string) => z.number().int().nonnegative().describe(`${what}, in milliseconds.`);
const word = (what: string) => z.string().regex(/^[^\s]+$/, "must not contain whitespace").describe(what);

/** `if` / `unless`: an HAProxy condition (ACL names, `!` negations, `{ anonymous acls }`, `or`). */
const Condition = {
  /** Apply only if this HAProxy condition holds, e.g. `is_api` or `{ ssl_fc }`. Default: always. */
  if: z.string().min(1).optional().describe("Apply only if this HAProxy condition holds, e.g. `is_api` or `{ ssl_fc }`."),
  /** Apply only unless this condition holds. With `if`, it must be one term (an ACL name or `{ … }`). */
  unless: z.string().min(1).optional().describe("Apply only unless this condition holds. With `if`, it must be one term (an ACL name or `{ … }`)."),
};

const BindInputSchema = z.strictObject({
  /** Bind name, without whitespace. Default: `address:port`. */
  name: word("Bind name; defaults to `address:port`.").optional(),
  /** Address to listen on, e.g. 0.0.0.0. */
  address: z.string().regex(/^[^\s]+$/, "must be an IP address or host name without whitespace").describe("Address to listen on, e.g. 0.0.0.0."),
  /** TCP port, 1-65535. */
  port: z.number({ error: "must be an integer from 1 to 65535" }).int().min(1, "must be from 1 to 65535").max(65535, "must be from 1 to 65535").describe("TCP port, 1-65535."),
  /** Terminate TLS on this bind. Default: plain TCP/HTTP. */
  ssl: z.strictObject({
    /** The certificate HAProxy presents: exactly one path of a PEM (certificate + key), e.g. a Certificate's `path`. */
    certificates: z.array(word("Path of a PEM (certificate + key), e.g. a Certificate's `path`.")).length(1, "takes exactly one certificate (DPAPI's bind has one `crt`); for several, put a crt-list path in `extra.crt_list`")
      .describe("The certificate HAProxy presents."),
    /** ALPN protocols offered, e.g. ["h2", "http/1.1"]. Default: none. */
    alpn: z.array(z.string().regex(/^[^\s,]+$/, "must be one protocol name, e.g. h2")).optional().describe("ALPN protocols, e.g. [\"h2\", \"http/1.1\"]."),
  }).optional().describe("Terminate TLS on this bind."),
  /** Any other field of the DPAPI bind model (snake_case). */
  extra: BindSchema.partial().omit({ name: true, address: true, port: true }).optional().describe("Any other field of the DPAPI bind model (snake_case)."),
});

const AclInputSchema = z.strictObject({
  /** ACL name, used in conditions (letters, digits, `_.:-`). */
  name: z.string().regex(/^[A-Za-z0-9_.:-]+$/, "must be letters, digits and _ . : - only").describe("ACL name, used in conditions."),
  /** Fetch (and converters), e.g. `path_beg` or `hdr(host)`. */
  criterion: z.string().min(1).describe("Fetch (and converters), e.g. `path_beg` or `hdr(host)`."),
  /** Pattern(s) to match, e.g. `/api`. Default: none (the fetch's boolean value). */
  value: z.string().optional().describe("Pattern(s) to match, e.g. `/api`."),
});

const SplitPartSchema = z.strictObject({
  /** A backend of the split (a name). */
  backend: z.string().regex(NAME_PATTERN, "must be a backend name").describe("A backend of the split."),
  /** Its share: weights are relative (90/10, or 1/1/2); 0 sends nothing there. */
  weight: z.number({ error: "must be a non-negative integer" }).int("must be a non-negative integer").nonnegative("must be a non-negative integer")
    .describe("Its share: weights are relative (90/10, or 1/1/2); 0 sends nothing there."),
});

const RouteInputSchema = z.strictObject({
  /** Backend to use (`use_backend`): a name, or a `%[…]` expression such as a map lookup. Give this or `split`. */
  backend: z.string().regex(/^[^\s]+$/, "must be a backend name or a `%[…]` expression without whitespace")
    .refine((b) => NAME_PATTERN.test(b) || b.includes("%["), "must be a backend name (letters, digits and - _ . : only) or a `%[…]` expression")
    .describe("Backend to use (`use_backend`): a name, or a `%[…]` expression such as a map lookup.").optional(),
  /** Canary split: each request goes to one of these backends in proportion to the weights, in steps of 1 %. Changing only weights reloads nothing. Give this or `backend`. */
  split: z.array(SplitPartSchema).min(1, "needs at least one backend").max(BUCKETS, `takes at most ${BUCKETS} backends`)
    .describe(`Canary split: each request goes to one of these backends in proportion to the weights (in steps of 1/${BUCKETS}). Changing only weights reloads nothing.`).optional(),
  ...Condition,
});

const HttpRuleInputSchema = z.discriminatedUnion("type", [
  z.strictObject({
    /** `set-header`: set a header, replacing any of the same name. */
    type: z.literal("set-header"),
    /** Header name. */
    name: word("Header name."),
    /** Header value (log-format, e.g. `%[src]`). */
    value: z.string().min(1).describe("Header value (log-format)."),
    ...Condition,
  }),
  z.strictObject({
    /** `add-header`: add a header, keeping any of the same name. */
    type: z.literal("add-header"),
    /** Header name. */
    name: word("Header name."),
    /** Header value (log-format, e.g. `%[src]`). */
    value: z.string().min(1).describe("Header value (log-format)."),
    ...Condition,
  }),
  z.strictObject({
    /** `del-header`: remove every header of this name. */
    type: z.literal("del-header"),
    /** Header name. */
    name: word("Header name."),
    ...Condition,
  }),
  z.strictObject({
    /** `redirect`: answer with a redirect. */
    type: z.literal("redirect"),
    /** What the redirect does. */
    redirect: z.strictObject({
      /** What the redirect rewrites: `location` (a full URL), `prefix` (prepended to the path) or `scheme`. */
      type: z.enum(["location", "prefix", "scheme"]).describe("What the redirect rewrites."),
      /** Location, prefix or scheme, e.g. `https`. */
      value: word("Location, prefix or scheme, e.g. `https`."),
      /** HTTP status: 301, 302, 303, 307 or 308. Default: HAProxy's, 302. */
      code: z.union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)]).optional().describe("HTTP status, 301/302/303/307/308."),
    }),
    ...Condition,
  }),
  z.strictObject({
    /** `deny`: refuse the request. */
    type: z.literal("deny"),
    /** HTTP status sent, 200-599. Default: 403. */
    status: z.number().int().min(200).max(599).optional().describe("Status sent, default 403."),
    ...Condition,
  }),
  z.strictObject({
    /** `return`: answer directly, without a backend. */
    type: z.literal("return"),
    /** HTTP status sent, 200-599. Default: 200. */
    status: z.number().int().min(200).max(599).optional().describe("Status sent, default 200."),
    /** Content-Type of the body, e.g. `text/plain`. Default: none. */
    contentType: z.string().optional().describe("Content-Type of the body."),
    /** Body, a string. Default: empty. Give this or `file`. */
    content: z.string().optional().describe("Body, a string."),
    /** Path of a file whose bytes are the body, e.g. a GeneralFile's `path` (HAProxy reads it when it loads). Give this or `content`. */
    file: word("Path of a file whose bytes are the body, e.g. a GeneralFile's `path`.").optional(),
    ...Condition,
  }),
  z.strictObject({
    /** `set-var`: set a variable from a sample expression. */
    type: z.literal("set-var"),
    /** Variable, `<scope>.<name>` with scope proc, sess, txn, req or res, e.g. `txn.host`. */
    var: z.string().regex(/^(proc|sess|txn|req|res)\.[A-Za-z0-9_.]+$/, "must be scope.name, scope one of proc, sess, txn, req, res").describe("Variable, e.g. `txn.host`."),
    /** Sample expression, e.g. `req.hdr(host)`. */
    expr: z.string().min(1).describe("Sample expression, e.g. `req.hdr(host)`."),
    ...Condition,
  }),
  z.strictObject({
    /** `replace-path`: rewrite the path with a regex. */
    type: z.literal("replace-path"),
    /** Regex matched against the path (no whitespace). */
    match: word("Regex matched against the path."),
    /** Replacement (log-format, `\1` for groups; no whitespace). */
    format: word("Replacement (log-format)."),
    ...Condition,
  }),
  z.strictObject({
    /** `set-path`: replace the path. */
    type: z.literal("set-path"),
    /** New path (log-format; no whitespace). */
    format: word("New path (log-format)."),
    ...Condition,
  }),
  z.strictObject({
    /** `allow`: stop evaluating rules and let the request through. */
    type: z.literal("allow"),
    ...Condition,
  }),
  z.strictObject({
    /** `other`: any DPAPI rule, given in `rule`. */
    type: z.literal("other"),
    /** A DPAPI http rule in its own field names (snake_case), e.g. `{ type: "set-status", status: 503 }`. */
    rule: HttpRuleSchema.describe("A DPAPI http rule in its own field names (snake_case), e.g. { type: \"set-status\", status: 503 }."),
  }),
]);

const TcpRuleInputSchema = z.discriminatedUnion("type", [
  z.strictObject({
    /** `inspect-delay`: wait for content before the content rules run. */
    type: z.literal("inspect-delay"),
    /** How long to wait for content, in milliseconds. */
    timeout: ms("How long to wait for content"),
  }),
  z.strictObject({
    /** When the rule runs: `connection`, `content` or `session`. */
    type: z.enum(["connection", "content", "session"]),
    /** Action, e.g. `accept` or `reject`. */
    action: word("Action, e.g. `accept` or `reject`."),
    ...Condition,
  }),
  z.strictObject({
    /** `other`: any DPAPI tcp-request rule, given in `rule`. */
    type: z.literal("other"),
    /** A DPAPI tcp-request rule in its own field names (snake_case). */
    rule: TcpRequestRuleSchema.describe("A DPAPI tcp-request rule in its own field names."),
  }),
]);

export const FrontendInputsSchema = z.strictObject({
  name: z.string().regex(NAME_PATTERN, "must be letters, digits and - _ . : only (no spaces)")
    .describe("Frontend name in haproxy.cfg. Defaults to the Pulumi resource name. Changing it replaces the frontend."),
  mode: z.enum(["http", "tcp"]).optional().describe("Proxy mode: http or tcp."),
  binds: z.array(BindInputSchema).min(1, "needs at least one bind").describe("Where the frontend listens."),
  acls: z.array(AclInputSchema).default([]).describe("Named conditions, in order."),
  httpRequestRules: z.array(HttpRuleInputSchema).default([]).describe("`http-request` rules, in order."),
  httpResponseRules: z.array(HttpRuleInputSchema).default([]).describe("`http-response` rules, in order."),
  tcpRequestRules: z.array(TcpRuleInputSchema).default([]).describe("`tcp-request` rules, in order (e.g. inspect-delay, then content accept)."),
  routes: z.array(RouteInputSchema).default([]).describe("`use_backend` rules, in order: the first that matches wins."),
  filters: z.array(FilterInputSchema).default([]).describe("Filters (`filter spoe`, `compression`, `trace`), in order."),
  defaultBackend: z.string().regex(NAME_PATTERN, "must be a backend name").optional().describe("Backend for requests no route takes."),
  timeouts: z.strictObject({
    /** `timeout client`: longest inactivity on the client side, in milliseconds. */
    client: ms("timeout client").optional(),
    /** `timeout http-request`: longest wait for a complete request, in milliseconds. */
    httpRequest: ms("timeout http-request").optional(),
    /** `timeout http-keep-alive`: longest wait for the next request on a kept-alive connection, in milliseconds. */
    httpKeepAlive: ms("timeout http-keep-alive").optional(),
  }).optional().describe("Timeouts, in milliseconds."),
  forwardFor: z.boolean().optional().describe("Add X-Forwarded-For (`option forwardfor`)."),
  maxconn: z.number().int().positive().optional().describe("Maximum concurrent connections."),
  extra: FrontendSchema.partial().omit({ name: true }).optional().describe("Any other field of the DPAPI frontend model (snake_case), validated against it."),
  validate: z.boolean().default(true).describe("Ask HAProxy to check the would-be configuration during preview (needs the Data Plane API reachable at preview)."),
  adopt: z.boolean().default(false).describe("Take over a frontend that already exists (e.g. from a hand-kept haproxy.cfg): its lists become the declared ones."),
  connection: ResourceConnectionSchema.optional(),
}).superRefine((f, ctx) => {
  const seen = new Map<string, number>();
  f.binds.forEach((b, i) => {
    const key = `${b.address}:${b.port}`;
    if (seen.has(key)) ctx.addIssue({ code: "custom", path: ["binds", i, "port"], message: `${key} is already used by binds[${seen.get(key)}]; two binds on one address and port split connections at random` });
    seen.set(key, i);
  });
  const single = (c: string) => /^!?[A-Za-z0-9_.:-]+$/.test(c.trim()) || /^!?\{[^{}]*\}$/.test(c.trim());
  const both = (path: (string | number)[], r: { if?: string; unless?: string }) => {
    if (r.if && r.unless && !single(r.unless)) ctx.addIssue({ code: "custom", path: [...path, "unless"], message: "with `if`, `unless` must be one term (an ACL name or `{ … }`); write the whole condition in `if`" });
  };
  f.routes.forEach((r, i) => {
    both(["routes", i], r);
    if ((r.backend === undefined) === (r.split === undefined)) ctx.addIssue({ code: "custom", path: ["routes", i], message: "give either `backend` or `split`, not both and not neither" });
    if (r.split && r.split.every((p) => p.weight === 0)) ctx.addIssue({ code: "custom", path: ["routes", i, "split"], message: "weights are all 0: at least one backend must have a positive weight" });
    const names = new Set<string>();
    r.split?.forEach((p, j) => {
      if (names.has(p.backend)) ctx.addIssue({ code: "custom", path: ["routes", i, "split", j, "backend"], message: `${p.backend} appears twice in this split; give it one weight` });
      names.add(p.backend);
    });
  });
  f.httpRequestRules.forEach((r, i) => "if" in r && both(["httpRequestRules", i], r));
  const returnsBoth = (list: "httpRequestRules" | "httpResponseRules") => f[list].forEach((r, i) => {
    if (r.type === "return" && r.content !== undefined && r.file !== undefined) ctx.addIssue({ code: "custom", path: [list, i, "file"], message: "give either `content` or `file`, not both" });
  });
  returnsBoth("httpRequestRules");
  returnsBoth("httpResponseRules");
  spoeEnginesUnique(f.filters, ctx);
  f.httpResponseRules.forEach((r, i) => "if" in r && both(["httpResponseRules", i], r));
});

export type FrontendInputs = z.input<typeof FrontendInputsSchema>;
type Desired = z.output<typeof FrontendInputsSchema>;
export type FrontendState = Desired & { stateVersion: number };
type HttpRuleInput = z.output<typeof HttpRuleInputSchema>;
type TcpRuleInput = z.output<typeof TcpRuleInputSchema>;

const INPUT_KEYS = ["name", "mode", "binds", "acls", "httpRequestRules", "httpResponseRules", "tcpRequestRules", "routes", "filters",
  "defaultBackend", "timeouts", "forwardFor", "maxconn", "extra", "validate", "adopt", "connection"] as const;
/** Frontend attributes this resource owns; the rest (e.g. `from`) is kept as it is. */
const OWNED_WIRE_FIELDS = ["mode", "maxconn", "client_timeout", "http_request_timeout", "http_keep_alive_timeout", "forwardfor", "default_backend"];

/** `if A` + `unless B` is HAProxy's `if A !B`. */
function cond(r: { if?: string; unless?: string }): { cond?: "if" | "unless"; cond_test?: string } {
  if (r.if && r.unless) return { cond: "if", cond_test: `${r.if} !${r.unless.trim().replace(/^!/, "")}` };
  if (r.if) return { cond: "if", cond_test: r.if };
  if (r.unless) return { cond: "unless", cond_test: r.unless };
  return {};
}

function uncond(w: { cond?: string; cond_test?: string }, like?: { if?: string; unless?: string }): { if?: string; unless?: string } {
  if (!w.cond || !w.cond_test) return {};
  if (w.cond === "unless") return { unless: w.cond_test };
  if (like?.if && like.unless && cond(like).cond_test === w.cond_test) return { if: like.if, unless: like.unless };
  return { if: w.cond_test };
}

/** DPAPI writes values as they are: one with spaces must carry its own quotes. */
const quoted = (v: string) => (/\s/.test(v) && !/^".*"$/.test(v) ? `"${v.replace(/"/g, '\\"')}"` : v);
const unquoted = (v: string | undefined, like?: string) => (v !== undefined && like !== undefined && quoted(like) === v ? like : v);

function httpRuleToWire(r: HttpRuleInput): HttpRule {
  switch (r.type) {
    case "set-header": case "add-header": return { type: r.type, hdr_name: r.name, hdr_format: quoted(r.value), ...cond(r) };
    case "del-header": return { type: r.type, hdr_name: r.name, ...cond(r) };
    case "redirect": return compact({ type: r.type, redir_type: r.redirect.type, redir_value: r.redirect.value, redir_code: r.redirect.code, ...cond(r) });
    case "deny": return compact({ type: r.type, deny_status: r.status, ...cond(r) });
    case "return":
      if (r.file !== undefined) return compact({ type: r.type, return_status_code: r.status, return_content_type: r.contentType, return_content: r.file, return_content_format: "file", ...cond(r) });
      return compact({ type: r.type, return_status_code: r.status, return_content_type: r.contentType,
        return_content: r.content === undefined ? undefined : quoted(r.content), return_content_format: r.content === undefined ? undefined : "string", ...cond(r) });
    case "set-var": {
      const dot = r.var.indexOf(".");
      return { type: r.type, var_scope: r.var.slice(0, dot), var_name: r.var.slice(dot + 1), var_expr: r.expr, ...cond(r) };
    }
    case "replace-path": return { type: r.type, path_match: r.match, path_fmt: r.format, ...cond(r) };
    case "set-path": return { type: r.type, path_fmt: r.format, ...cond(r) };
    case "allow": return { type: r.type, ...cond(r) };
    case "other": return r.rule;
  }
}

function httpRuleFromWire(w: HttpRule, like: HttpRuleInput | undefined): HttpRuleInput {
  const x = w as Record<string, unknown>;
  const c = uncond(w, like && "rule" in like ? undefined : like as { if?: string; unless?: string });
  const s = (k: string) => (typeof x[k] === "string" ? x[k] as string : undefined);
  const n = (k: string) => (typeof x[k] === "number" ? x[k] as number : undefined);
  const likeValue = like && "value" in like ? like.value : like && "content" in like ? like.content : undefined;
  switch (w.type) {
    case "set-header": case "add-header":
      if (like?.type === "other") break;
      return compact({ type: w.type, name: s("hdr_name") ?? "", value: unquoted(s("hdr_format"), likeValue) ?? "", ...c }) as HttpRuleInput;
    case "del-header": if (like?.type === "other") break; return compact({ type: w.type, name: s("hdr_name") ?? "", ...c }) as HttpRuleInput;
    case "redirect":
      if (like?.type === "other") break;
      return compact({ type: "redirect", redirect: compact({ type: s("redir_type") as "scheme", value: s("redir_value") ?? "", code: n("redir_code") as 301 | undefined }), ...c }) as HttpRuleInput;
    case "deny": if (like?.type === "other") break; return compact({ type: "deny", status: n("deny_status"), ...c }) as HttpRuleInput;
    case "return":
      if (like?.type === "other") break;
      if (s("return_content_format") === "file") return compact({ type: "return", status: n("return_status_code"), contentType: s("return_content_type"), file: s("return_content"), ...c }) as HttpRuleInput;
      return compact({ type: "return", status: n("return_status_code"), contentType: s("return_content_type"), content: unquoted(s("return_content"), likeValue), ...c }) as HttpRuleInput;
    case "set-var": if (like?.type === "other") break; return compact({ type: "set-var", var: `${s("var_scope")}.${s("var_name")}`, expr: s("var_expr") ?? "", ...c }) as HttpRuleInput;
    case "replace-path": if (like?.type === "other") break; return compact({ type: "replace-path", match: s("path_match") ?? "", format: s("path_fmt") ?? "", ...c }) as HttpRuleInput;
    case "set-path": if (like?.type === "other") break; return compact({ type: "set-path", format: s("path_fmt") ?? "", ...c }) as HttpRuleInput;
    case "allow": if (like?.type === "other") break; return compact({ type: "allow", ...c }) as HttpRuleInput;
  }
  return { type: "other", rule: w };
}

function tcpRuleToWire(r: TcpRuleInput): TcpRequestRule {
  if (r.type === "inspect-delay") return { type: "inspect-delay", timeout: r.timeout };
  if (r.type === "other") return r.rule;
  return { type: r.type, action: r.action, ...cond(r) };
}

function tcpRuleFromWire(w: TcpRequestRule, like: TcpRuleInput | undefined): TcpRuleInput {
  if (like?.type === "other") return { type: "other", rule: w };
  if (w.type === "inspect-delay" && typeof w.timeout === "number") return { type: "inspect-delay", timeout: w.timeout };
  if (w.type !== "inspect-delay" && w.action) return compact({ type: w.type, action: w.action, ...uncond(w, like as { if?: string; unless?: string }) }) as TcpRuleInput;
  return { type: "other", rule: w };
}

const bindName = (b: { name?: string; address: string; port: number }) => b.name ?? `${b.address}:${b.port}`;

function bindToWire(b: Desired["binds"][number]): Bind {
  return compact({
    ...(b.extra ?? {}),
    name: bindName(b), address: b.address, port: b.port,
    ssl: b.ssl ? true : undefined,
    ssl_certificate: b.ssl?.certificates[0],
    alpn: b.ssl?.alpn?.join(","),
  });
}

function bindFromWire(w: Bind, like: Desired["binds"][number] | undefined): Desired["binds"][number] {
  const extra = like?.extra ? Object.fromEntries(Object.keys(like.extra).map((k) => [k, (w as Record<string, unknown>)[k]])) : undefined;
  return compact({
    name: like?.name === undefined && w.name === `${w.address}:${w.port}` ? undefined : w.name,
    address: w.address ?? "", port: w.port ?? 0,
    ssl: w.ssl || w.ssl_certificate ? compact({ certificates: w.ssl_certificate ? [w.ssl_certificate] : [], alpn: w.alpn ? w.alpn.split(",") : undefined }) : undefined,
    extra,
  }) as Desired["binds"][number];
}

function frontendToWire(d: Desired): Frontend {
  return compact({
    ...(d.extra ?? {}),
    name: d.name,
    mode: d.mode,
    maxconn: d.maxconn,
    client_timeout: d.timeouts?.client,
    http_request_timeout: d.timeouts?.httpRequest,
    http_keep_alive_timeout: d.timeouts?.httpKeepAlive,
    forwardfor: d.forwardFor ? { enabled: "enabled" as const } : undefined,
    default_backend: d.defaultBackend,
  });
}

/** The declared splits, in route order (the k-th split route owns the k-th range of the split map). */
const splitsOf = (d: Pick<Desired, "routes">): SplitPart[][] => d.routes.flatMap((r) => (r.split ? [r.split] : []));

/**
 * A split's fallback, for a bucket the map lacks (none does once the map is written): its first backend.
 * It must not depend on the weights, or a weight change would rewrite the rule and reload.
 */
const fallbackOf = (split: SplitPart[]) => split[0].backend;

function routesToWire(d: Desired, splitMapPath: string): FrontendSection["backend_switching_rules"] {
  let k = 0;
  return d.routes.map((r) => ({ name: r.split ? splitTarget(k++, splitMapPath, fallbackOf(r.split)) : r.backend!, ...cond(r) }));
}

/**
 * Everything the frontend owns, as the wire section (`from` and other unowned attributes kept from `current`).
 * `splitMapPath` is where the frontend's split map is stored (any readable file for a check).
 */
export function toSection(d: Desired, current?: FrontendSection, splitMapPath = "/dev/null"): FrontendSection {
  const own = frontendToWire(d);
  const kept = Object.fromEntries(Object.entries(current?.frontend ?? {}).filter(([k]) => !OWNED_WIRE_FIELDS.includes(k) && !(k in own)));
  return {
    frontend: { ...kept, ...own },
    binds: d.binds.map(bindToWire),
    acls: d.acls.map((a) => compact({ acl_name: a.name, criterion: a.criterion, value: a.value })),
    backend_switching_rules: routesToWire(d, splitMapPath),
    http_request_rules: d.httpRequestRules.map(httpRuleToWire),
    http_response_rules: d.httpResponseRules.map(httpRuleToWire),
    tcp_request_rules: d.tcpRequestRules.map(tcpRuleToWire),
    filters: d.filters.map(filterToWire),
  };
}

/** The inputs that describe what is live, shaped like the state they are compared with (`split` the split map's live entries). */
function fromSection(s: FrontendSection, like: Desired, split: MapEntry[]): Partial<Desired> {
  const likeSplits = splitsOf(like);
  const f = s.frontend;
  const timeouts = compact({ client: f.client_timeout ?? undefined, httpRequest: f.http_request_timeout ?? undefined, httpKeepAlive: f.http_keep_alive_timeout ?? undefined });
  const extra = like.extra ? Object.fromEntries(Object.keys(like.extra).map((k) => [k, (f as Record<string, unknown>)[k]])) : undefined;
  return compact({
    name: f.name,
    mode: f.mode,
    binds: s.binds.map((b, i) => bindFromWire(b, like.binds.find((x) => bindName(x) === b.name) ?? like.binds[i])),
    acls: s.acls.map((a) => compact({ name: a.acl_name, criterion: a.criterion, value: a.value?.trim() || undefined })),
    routes: s.backend_switching_rules.map((r, i) => {
      const target = parseSplitTarget(r.name);
      if (!target) return compact({ backend: r.name, ...uncond(r, like.routes[i]) });
      return compact({ split: splitFromEntries(split, target.k, likeSplits[target.k]), ...uncond(r, like.routes[i]) });
    }),
    httpRequestRules: s.http_request_rules.map((r, i) => httpRuleFromWire(r, like.httpRequestRules[i])),
    httpResponseRules: s.http_response_rules.map((r, i) => httpRuleFromWire(r, like.httpResponseRules[i])),
    tcpRequestRules: s.tcp_request_rules.map((r, i) => tcpRuleFromWire(r, like.tcpRequestRules[i])),
    filters: (s.filters ?? []).map((f, i) => filterFromWire(f, like.filters?.[i])),
    defaultBackend: f.default_backend,
    timeouts: Object.keys(timeouts).length ? timeouts : undefined,
    forwardFor: f.forwardfor ? true : like.forwardFor === false ? false : undefined,
    maxconn: f.maxconn ?? undefined,
    extra,
  }) as Partial<Desired>;
}

function desired(inputs: Record<string, unknown>): Desired {
  return FrontendInputsSchema.parse(withoutProvider(inputs));
}

const state = (d: Desired): FrontendState => toState(d);

// ---------------------------------------------------------------------------
// HAProxy's own check of the would-be configuration, during preview.

const STAND_IN_BACKEND = "pulumi_preview_stand_in";

/** Unknown values replaced by stand-ins that keep the configuration valid; undefined when no stand-in fits. */
function withStandIns(inputs: Record<string, unknown>): Record<string, unknown> | undefined {
  const standIn = (v: unknown, fallback: unknown) => (v === UNKNOWN ? fallback : v);
  const routes = Array.isArray(inputs.routes) ? inputs.routes.map((r) => {
    if (!r || typeof r !== "object") return r;
    const route = r as { backend?: unknown; split?: unknown };
    const split = Array.isArray(route.split)
      ? route.split.map((p) => (p && typeof p === "object" ? { ...p, backend: standIn((p as { backend?: unknown }).backend, STAND_IN_BACKEND) } : p))
      : route.split;
    return compact({ ...route, backend: route.backend === undefined ? undefined : standIn(route.backend, STAND_IN_BACKEND), split });
  }) : inputs.routes;
  const binds = Array.isArray(inputs.binds) ? inputs.binds.map((b) => {
    if (!b || typeof b !== "object") return b;
    const ssl = (b as { ssl?: { certificates?: unknown } }).ssl;
    // A certificate created in the same update cannot be checked yet: check the bind without TLS.
    const unknownCert = (ssl as unknown) === UNKNOWN || (ssl && (ssl.certificates === UNKNOWN || (Array.isArray(ssl.certificates) && ssl.certificates.includes(UNKNOWN))));
    return unknownCert ? { ...b, ssl: undefined } : b;
  }) : inputs.binds;
  // A file created in the same update has no path yet: check a `return` of it as an empty body.
  const rules = (list: unknown) => (Array.isArray(list) ? list.map((r) =>
    (r && typeof r === "object" && (r as { type?: unknown }).type === "return" && (r as { file?: unknown }).file === UNKNOWN
      ? { ...(r as object), file: undefined } : r)) : list);
  inputs = { ...inputs, httpRequestRules: rules(inputs.httpRequestRules), httpResponseRules: rules(inputs.httpResponseRules) };
  // An SPOE file created in the same update has no path yet: check the frontend without that filter.
  const filters = Array.isArray(inputs.filters)
    ? inputs.filters.filter((f) => !(f && typeof f === "object" && JSON.stringify(f).includes(UNKNOWN) && (f as { type?: unknown }).type === "spoe"))
    : inputs.filters;
  const out = { ...inputs, routes, binds, filters, defaultBackend: standIn(inputs.defaultBackend, STAND_IN_BACKEND) };
  return JSON.stringify(out).includes(UNKNOWN) ? undefined : out;
}

/** Which declared field a line of the frontend section comes from, in DPAPI's order of keywords. */
function fieldOfLine(config: string, frontend: string, lineNo: number, d: Desired, message: string): string | undefined {
  const lines = config.split("\n");
  const start = lines.findIndex((l) => new RegExp(`^frontend ${frontend.replace(/[.]/g, "\\.")}(\\s|$)`).test(l));
  if (start < 0 || lineNo - 1 <= start) return undefined;
  const target = lineNo - 1;
  const counts: Record<string, number> = {};
  for (let i = start + 1; i <= target && i < lines.length; i++) {
    if (/^\S/.test(lines[i])) return undefined;
    const kw = lines[i].trim().split(/\s+/)[0];
    counts[kw] = (counts[kw] ?? 0) + 1;
  }
  const kw = (lines[target] ?? "").trim().split(/\s+/)[0];
  const k = (counts[kw] ?? 1) - 1;
  const condField = (r: { if?: string; unless?: string } | undefined) => (r?.if ? "if" : r?.unless ? "unless" : undefined);
  const targetField = (r: { split?: unknown } | undefined) => (r?.split ? "split" : "backend");
  const aclProblem = /ACL/.test(message);
  switch (kw) {
    case "bind": return `binds[${k}]`;
    case "acl": return `acls[${k}].${/fetch method|converter|keyword/i.test(message) ? "criterion" : "value"}`;
    case "use_backend": return aclProblem ? `routes[${k}].${condField(d.routes[k]) ?? targetField(d.routes[k])}` : `routes[${k}].${targetField(d.routes[k])}`;
    case "default_backend": return "defaultBackend";
    case "http-request": return aclProblem && condField(d.httpRequestRules[k] as { if?: string }) ? `httpRequestRules[${k}].${condField(d.httpRequestRules[k] as { if?: string })}` : `httpRequestRules[${k}]`;
    case "http-response": return `httpResponseRules[${k}]`;
    case "tcp-request": return `tcpRequestRules[${k}]`;
    case "filter": return `filters[${k}]`;
    default: return undefined;
  }
}

/** HAProxy's lines as check failures, each naming the field it is about where the line tells. */
export function failuresFromHaproxy(label: string, message: string, config: string | undefined, d: Desired): CheckFailure[] {
  const lines = message.split("\n").map((l) => l.replace(/^validation error: exit status 1:\s*/, "").trim())
    .filter((l) => l && !/Fatal errors found|implicitly used here|explicitly referenced/i.test(l));
  const failures = lines.flatMap((line): CheckFailure[] => {
    const text = line.replace(/^msg="?|"$/g, "").replace(/^config\s+/, "");
    const at = /parsing \[[^:\]]+:(\d+)\]/.exec(text);
    let field = at && config ? fieldOfLine(config, d.name, Number(at[1]), d, text) : undefined;
    const missing = /unable to find required (use_backend|default_backend): '([^']+)'/.exec(text);
    if (missing && missing[1] === "default_backend") field = "defaultBackend";
    else if (missing) {
      const i = d.routes.findIndex((r) => r.backend === missing[2]);
      field = i >= 0 ? `routes[${i}].backend` : undefined;
    }
    if (!field && at === null && !missing && !new RegExp(`'${d.name}'`).test(text) && lines.length > 1) return [];
    const property = field ?? "(inputs)";
    return [{ property, reason: `${label}: ${field ? `${field}: ` : ""}HAProxy rejected it: ${text.replace(/^parsing \[[^\]]*\]\s*/, "")}` }];
  });
  return failures.length ? failures : [{ property: "(inputs)", reason: `${label}: HAProxy rejected the configuration: ${message.trim().slice(0, 500)}` }];
}

/** DPAPI v2's validation answers "validation error: exit status 1" and drops HAProxy's own lines. */
function withoutDetails(message: string): boolean {
  return /^\s*validation error: exit status \d+\s*$/.test(message);
}

async function validateWithHaproxy(d: Desired): Promise<CheckFailure[]> {
  const client = await clientFor(d.connection);
  const current = await client.getFrontend(d.name);
  const want = toSection(d, current);
  const referenced = [...new Set([...d.routes.flatMap((r) => (r.backend ? [r.backend] : [])).filter((b) => !b.includes("%[")), ...(d.defaultBackend ? [d.defaultBackend] : [])])];
  const existing = new Set((await client.listBackends()).map((b) => b.name));
  // Backends this update creates do not exist yet (nor does the stand-in for unknown names): empty ones of the
  // same names keep the check about the frontend.
  const missing = referenced.filter((b) => !existing.has(b));
  const result = await client.validateFrontend(want, current, missing);
  if (result.ok) return [];
  const label = `Frontend "${d.name}"`;
  if (result.config === undefined) {
    const property = result.label?.replace(/_rules$/, "").replace(/^backend_switching$/, "routes") ?? "(inputs)";
    return [{ property, reason: `${label}: ${property}: the Data Plane API rejected it: ${result.message}` }];
  }
  if (withoutDetails(result.message)) {
    return [{ property: "(inputs)", reason: `${label}: HAProxy rejected the configuration this frontend makes ` +
      "(this Data Plane API does not pass on HAProxy's message; DPAPI 3.x does). Check the ACL criteria, conditions and rules" }];
  }
  return failuresFromHaproxy(label, result.message, result.config, d);
}

/** Binds of other frontends on the same address and port (HAProxy would split connections between them). */
async function bindConflicts(d: Desired): Promise<CheckFailure[]> {
  const client = await clientFor(d.connection);
  const cfg = await client.rawConfiguration();
  const taken = new Map<string, string>();
  let section = "";
  for (const line of cfg.split("\n")) {
    if (/^\S/.test(line)) section = line.trim().split(/\s+/).slice(0, 2).join(" ");
    const m = /^\s+bind\s+(\S+)/.exec(line);
    if (m && section !== `frontend ${d.name}` && section.startsWith("frontend ")) taken.set(m[1], section);
  }
  return d.binds.flatMap((b, i) => {
    const other = taken.get(`${b.address}:${b.port}`);
    return other ? [{ property: `binds[${i}].port`, reason: `Frontend "${d.name}": binds[${i}].port: ${b.address}:${b.port} is already bound by ${other}` }] : [];
  });
}

export async function check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<CheckResult<Record<string, unknown>>> {
  const result = checkInputs("Frontend", FrontendInputsSchema, news);
  if (!result.inputs) return result;
  // Asked of HAProxy only when something changed: a no-op preview sends nothing.
  const changed = Object.keys(withoutProvider(olds)).length === 0 || diffInputs(INPUT_KEYS, [], olds, withoutProvider(result.inputs)).changes;
  if (!changed || news.validate === false) return result;
  const stood = withStandIns(withoutProvider(result.inputs));
  if (!stood) return result;
  const parsed = FrontendInputsSchema.safeParse(stood);
  if (!parsed.success) return result;
  try {
    const failures = [...await bindConflicts(parsed.data), ...await validateWithHaproxy(parsed.data)];
    return failures.length ? { failures } : result;
  } catch (e) {
    // No Data Plane API at preview (e.g. a pull request job without network to it): the check is skipped, not failed.
    if (isDpapiError(e, "DPAPI_UNREACHABLE") || isDpapiError(e, "DPAPI_TIMEOUT")) return result;
    throw e;
  }
}

export async function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<DiffResult> {
  return diffInputs(INPUT_KEYS, ["name"], olds, withoutProvider(news));
}

/** A commit HAProxy refused, as the field it is about. */
function asFieldError(e: unknown, d: Desired): unknown {
  if (!isDpapiError(e, "DPAPI_VALIDATION") || !e.dpapiMessage) return e;
  const failures = failuresFromHaproxy(`Frontend "${d.name}"`, e.dpapiMessage, undefined, d);
  return new DpapiError({ code: "DPAPI_VALIDATION", method: e.method, path: e.path, status: e.status, dpapiMessage: e.dpapiMessage,
    message: failures.map((f) => f.reason).join("; ") });
}

async function confirmListening(d: Desired): Promise<void> {
  const client = await clientFor(d.connection);
  if (!(await client.frontendLive(d.name))) {
    throw new DpapiError({ code: "DPAPI_RELOAD_FAILED", message: `Frontend "${d.name}" is in haproxy.cfg but HAProxy does not run it: its listeners did not start`,
      hint: `is ${d.binds.map((b) => `${b.address}:${b.port}`).join(", ")} already in use by another program? HAProxy keeps serving its previous configuration` });
  }
}

// ---------------------------------------------------------------------------
// The split map: the buckets of the frontend's split routes, in one stored map file.

/** HAProxy resolves a split's backends per request, so it never says one is missing: ask before writing. */
async function requireSplitBackends(client: DataplaneClient, d: Desired): Promise<void> {
  if (!splitsOf(d).length) return;
  const existing = new Set((await client.listBackends()).map((b) => b.name));
  const missing = d.routes.flatMap((r, i) => (r.split ?? []).flatMap((p, j) => (existing.has(p.backend) ? [] : [`routes[${i}].split[${j}].backend: ${p.backend}`])));
  if (missing.length) {
    throw new DpapiError({ code: "DPAPI_NOT_FOUND", message: `Frontend "${d.name}": no such backend: ${missing.join("; ")}`,
      hint: "create the backend first (pass `backend.name` so Pulumi orders it), or correct the name" });
  }
}

const storedMapPath = async (client: DataplaneClient, name: string) => (await client.listMapFiles()).find((m) => m.storage_name === name)?.file;

/**
 * Makes the split map hold the declared buckets: HAProxy's memory through the runtime API (no reload) and the
 * stored file for the next reload. Returns its path; undefined when the frontend has no split.
 */
async function syncSplitMap(client: DataplaneClient, d: Desired): Promise<string | undefined> {
  const splits = splitsOf(d);
  if (!splits.length) return undefined;
  const name = splitMapName(d.name);
  const entries = Object.fromEntries(splitEntries(splits).map((e) => [e.key, e.value]));
  const path = await storedMapPath(client, name);
  if (path) {
    await applyEntries(client, { name, entries });
    return path;
  }
  return (await client.uploadMapFile(name, renderContents({ entries }))).file;
}

async function dropSplitMap(client: DataplaneClient, d: Pick<Desired, "name">): Promise<void> {
  const name = splitMapName(d.name);
  if (await storedMapPath(client, name)) await removeObject(`Frontend "${d.name}" split map ${name}`, () => client.deleteMapFile(name));
}

/** The split map's live entries (HAProxy's memory; the stored file when HAProxy has not loaded it). */
async function liveSplitEntries(client: DataplaneClient, d: Pick<Desired, "name">): Promise<MapEntry[]> {
  const name = splitMapName(d.name);
  if (await client.isMapLoaded(name)) return client.listMapEntries(name);
  const text = await client.getMapFileContents(name);
  return text === undefined ? [] : parseContents(text);
}

export async function create(inputs: Record<string, unknown>) {
  const d = desired(inputs);
  const client = await clientFor(d.connection);
  const current = d.adopt ? await client.getFrontend(d.name) : undefined;
  await requireSplitBackends(client, d);
  const splitMapPath = await syncSplitMap(client, d);
  try {
    await client.changeFrontend(toSection(d, current, splitMapPath), current);
  } catch (e) {
    // Nothing half-applied: the map this create stored goes too.
    if (splitMapPath && !current) await dropSplitMap(client, d).catch(() => undefined);
    if (isDpapiError(e, "DPAPI_EXISTS")) {
      throw new DpapiError({ code: "DPAPI_EXISTS", message: `Frontend "${d.name}" already exists in HAProxy`,
        hint: "set `adopt: true` on this Frontend to take it over (its binds, ACLs, rules and routes become the declared ones), or choose another name" });
    }
    throw asFieldError(e, d);
  }
  await confirmListening(d);
  return { id: d.name, outs: state(d) };
}

export async function read(id: string, props: Record<string, unknown>) {
  const old = desired({ ...inputsOfState(props), name: props.name ?? id });
  const client = await clientFor(old.connection);
  const live = await client.getFrontend(id);
  if (!live) return {};
  const split = live.backend_switching_rules.some((r) => parseSplitTarget(r.name)) ? await liveSplitEntries(client, old) : [];
  const observed = state({ ...old, ...fromSection(live, old, split) } as Desired);
  return { id, props: observed, inputs: observed };
}

export async function update(id: string, _olds: Record<string, unknown>, news: Record<string, unknown>) {
  const d = desired(news);
  const client = await clientFor(d.connection);
  const current = await client.getFrontend(id);
  if (!current) {
    throw new DpapiError({ code: "DPAPI_NOT_FOUND", message: `Frontend "${id}" no longer exists in HAProxy`,
      hint: "run `pulumi refresh` so Pulumi forgets it, then `pulumi up` recreates it" });
  }
  await requireSplitBackends(client, d);
  // Weights first: when only they changed, the frontend's own writes are none and nothing reloads.
  const splitMapPath = await syncSplitMap(client, d);
  await client.changeFrontend(toSection(d, current, splitMapPath), current).catch((e) => { throw asFieldError(e, d); });
  if (!splitMapPath) await dropSplitMap(client, d);
  await confirmListening(d);
  return { outs: state(d) };
}

export async function remove(id: string, props: Record<string, unknown>): Promise<void> {
  const client = await clientFor(ResourceConnectionSchema.optional().parse(props.connection));
  await removeObject(`Frontend "${id}"`, () => client.deleteFrontend(id));
  await dropSplitMap(client, { name: id });
}
