// One error type for everything the Data Plane API can answer. Callers match on
// `code`, never on `instanceof` (closure serialization can load two copies of
// this module) or on message text. The password is never part of any field.

export type DpapiErrorCode =
  | "DPAPI_AUTH"            // 401/403
  | "DPAPI_UNREACHABLE"     // connection refused/reset, DNS
  | "DPAPI_TLS_UNTRUSTED"   // the API's certificate is not signed by a trusted CA, or not for this host
  | "DPAPI_TIMEOUT"         // no answer within the request timeout
  | "DPAPI_UNSUPPORTED"     // neither /v3 nor /v2, or a feature this generation lacks
  | "DPAPI_EXISTS"          // 409 "already exists"
  | "DPAPI_NOT_FOUND"       // 404
  | "DPAPI_VERSION_CONFLICT"// 409 version mismatch (after bounded retries)
  | "DPAPI_TXN_OUTDATED"    // 406 on commit (after replays)
  | "DPAPI_TOO_MANY_TXNS"   // 429 (after waiting)
  | "DPAPI_VALIDATION"      // 400/422: HAProxy or the API rejected the change
  | "DPAPI_REFERENCED"      // 409 when deleting a file haproxy.cfg still uses
  | "DPAPI_RELOAD_FAILED"   // the reload after a change failed
  | "DPAPI_BAD_RESPONSE"    // a response did not match its schema
  | "DPAPI_CONSUL"          // the Consul a discovery points at refused us or could not be reached
  | "DPAPI_DISCOVERY_TIMEOUT" // HAProxy did not catch up with the Consul catalog in time
  | "DPAPI_HTTP";           // any other status

export interface DpapiErrorDetails {
  code: DpapiErrorCode;
  message: string;
  method?: string;
  path?: string;
  status?: number;
  /** The `code` field of the DPAPI error body (HTTP status, or 6xx for schema errors). */
  dpapiCode?: number;
  /** What the DPAPI (or HAProxy) said, verbatim. */
  dpapiMessage?: string;
  /** One line a person can act on. */
  hint?: string;
  /** HAProxy's output for a failed reload. */
  reloadOutput?: string;
  cause?: unknown;
}

export class DpapiError extends Error {
  readonly code: DpapiErrorCode;
  readonly method?: string;
  readonly path?: string;
  readonly status?: number;
  readonly dpapiCode?: number;
  readonly dpapiMessage?: string;
  readonly hint?: string;
  readonly reloadOutput?: string;

  constructor(d: DpapiErrorDetails) {
    const where = d.method && d.path ? ` (${d.method} ${d.path}${d.status ? ` → ${d.status}` : ""})` : "";
    super(`${d.message}${where}${d.hint ? `. Hint: ${d.hint}` : ""}`, d.cause ? { cause: d.cause } : undefined);
    this.name = "DpapiError";
    this.code = d.code;
    this.method = d.method;
    this.path = d.path;
    this.status = d.status;
    this.dpapiCode = d.dpapiCode;
    this.dpapiMessage = d.dpapiMessage;
    this.hint = d.hint;
    this.reloadOutput = d.reloadOutput;
  }
}

export function isDpapiError(e: unknown, code?: DpapiErrorCode): e is DpapiError {
  return typeof e === "object" && e !== null && (e as { name?: string }).name === "DpapiError" &&
    (code === undefined || (e as DpapiError).code === code);
}

const versionMismatch = /version mismatch/i;
const exists = /already exists|exists/i;
const referenced = /referenced|rejecting attempt to delete/i;

/** Maps an HTTP error answer to a DpapiError with a hint. The one place that reads status codes. */
export function errorFromResponse(method: string, path: string, status: number, body: unknown, baseUrl: string): DpapiError {
  const b = (typeof body === "object" && body !== null ? body : {}) as { code?: unknown; message?: unknown };
  const dpapiMessage = typeof b.message === "string" ? b.message : typeof body === "string" ? body.slice(0, 500) : undefined;
  const dpapiCode = typeof b.code === "number" ? b.code : undefined;
  const base = { method, path, status, dpapiCode, dpapiMessage };
  const said = dpapiMessage ? `: ${dpapiMessage}` : "";
  if (status === 401 || status === 403) {
    return new DpapiError({ ...base, dpapiMessage: undefined, code: "DPAPI_AUTH", message: `Data Plane API at ${baseUrl} refused the credentials`,
      hint: "check haproxy-dataplane:username / haproxy-dataplane:password (or HAPROXY_DATAPLANE_USERNAME / HAPROXY_DATAPLANE_PASSWORD)" });
  }
  if (status === 404) return new DpapiError({ ...base, code: "DPAPI_NOT_FOUND", message: `not found${said}` });
  if (status === 409 && versionMismatch.test(dpapiMessage ?? "")) {
    return new DpapiError({ ...base, code: "DPAPI_VERSION_CONFLICT", message: `configuration changed underneath us${said}`,
      hint: "another writer keeps changing haproxy.cfg; retry the operation" });
  }
  if (status === 409 && referenced.test(dpapiMessage ?? "")) {
    return new DpapiError({ ...base, code: "DPAPI_REFERENCED", message: `still in use${said}`,
      hint: "remove the reference from haproxy.cfg (or the resource that adds it) first" });
  }
  if (status === 409 && exists.test(dpapiMessage ?? "")) {
    return new DpapiError({ ...base, code: "DPAPI_EXISTS", message: `already exists${said}`,
      hint: "set `adopt: true` on the resource to take over the existing object, or pick another name" });
  }
  if (status === 406) return new DpapiError({ ...base, code: "DPAPI_TXN_OUTDATED", message: `transaction outdated${said}` });
  // Another client's commit outdated our transaction: DPAPI moved it aside, and writes into it answer 400, a raw
  // GET of it 500 for its missing file (v2, four racing stacks). The replay that follows opens a fresh one.
  if ((status === 400 && /transaction (does not exist|.*outdated)/i.test(dpapiMessage ?? "")) ||
      (status === 500 && /open \S*transactions\/\S+: no such file/i.test(dpapiMessage ?? ""))) {
    return new DpapiError({ ...base, code: "DPAPI_TXN_OUTDATED", message: `transaction outdated${said}` });
  }
  if (status === 429) return new DpapiError({ ...base, code: "DPAPI_TOO_MANY_TXNS", message: `too many open transactions${said}`,
    hint: "another client holds many transactions open; raise max_open_transactions or retry later" });
  if (status === 400 || status === 422) {
    return new DpapiError({ ...base, code: "DPAPI_VALIDATION", message: `rejected by the Data Plane API${said}` });
  }
  return new DpapiError({ ...base, code: "DPAPI_HTTP", message: `unexpected answer ${status}${said}` });
}
