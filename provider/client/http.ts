// The transport: one keep-alive undici Pool per endpoint, basic auth, TLS
// options, timeouts, and the single place where a failed exchange becomes a
// DpapiError. The password is only ever inside the Authorization header.
import type { Pool } from "undici";
import { randomUUID } from "node:crypto";
import { DpapiError, errorFromResponse } from "./errors";
import type { Connection } from "./options";

export type Query = Record<string, string | number | boolean | undefined>;

export type Body =
  | { json: unknown }
  | { text: string }
  | { file: { field: string; filename: string; content: string } };

export interface HttpRequest {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  query?: Query;
  body?: Body;
  /** Accept header; default application/json (v2 then answers raw-file GETs with `{}`). */
  accept?: string;
  /** Extra request headers (e.g. DPAPI's X-Runtime-Actions). */
  headers?: Record<string, string>;
}

export interface HttpResponse {
  status: number;
  /** Header names lower-cased: DPAPI sends `Reload-Id` where its spec says `Reload-ID`. */
  headers: Record<string, string>;
  text: string;
}

export interface Http {
  readonly baseUrl: string;
  /** Resolves for 2xx answers; rejects with a DpapiError otherwise. */
  request(req: HttpRequest): Promise<HttpResponse>;
  /** Like request, but resolves with any HTTP status (for probing). */
  exchange(req: HttpRequest): Promise<HttpResponse>;
  /** Counts requests, for tests and the benchmark. */
  readonly stats: { requests: number };
}

const pools = new Map<string, Pool>();

/** Node's codes for a certificate chain it cannot verify, or one issued for another host. */
const UNTRUSTED_CERT = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT", "CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED", "ERR_TLS_CERT_ALTNAME_INVALID",
]);

function poolFor(conn: Connection): Pool {
  const origin = new URL(conn.url).origin;
  const key = `${origin}|${conn.caCert ?? ""}|${conn.clientCert ?? ""}|${conn.insecureSkipVerify}|${conn.timeoutMs}`;
  let pool = pools.get(key);
  if (!pool) {
    // Loaded on first use: a preview only checks and diffs, and needs no transport.
    const { Pool: UndiciPool } = require("undici") as typeof import("undici");
    pool = new UndiciPool(origin, {
      connections: 8,
      keepAliveTimeout: 10_000,
      headersTimeout: conn.timeoutMs,
      bodyTimeout: conn.timeoutMs,
      connect: {
        timeout: Math.min(conn.timeoutMs, 10_000),
        ca: conn.caCert,
        cert: conn.clientCert,
        key: conn.clientKey,
        rejectUnauthorized: !conn.insecureSkipVerify,
      },
    });
    pools.set(key, pool);
  }
  return pool;
}

export function buildPath(path: string, query?: Query): string {
  const q = Object.entries(query ?? {}).filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return q.length ? `${path}?${q.join("&")}` : path;
}

function encodeBody(body: Body | undefined): { payload?: string | Buffer; contentType?: string } {
  if (!body) return {};
  if ("json" in body) return { payload: JSON.stringify(body.json), contentType: "application/json" };
  if ("text" in body) return { payload: body.text, contentType: "text/plain" };
  const boundary = `----pulumi-haproxy-${randomUUID()}`;
  const { field, filename, content } = body.file;
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n`),
    Buffer.from(content),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, contentType: `multipart/form-data; boundary=${boundary}` };
}

function parseBody(text: string): unknown {
  try { return JSON.parse(text); } catch { return text; }
}

export function createHttp(conn: Connection): Http {
  const base = new URL(conn.url);
  const prefix = base.pathname.replace(/\/+$/, "");
  const baseUrl = `${base.origin}${prefix}`;
  const authorization = "Basic " + Buffer.from(`${conn.username}:${conn.password}`).toString("base64");
  const stats = { requests: 0 };

  async function exchange(req: HttpRequest): Promise<HttpResponse> {
    const path = prefix + buildPath(req.path, req.query);
    const { payload, contentType } = encodeBody(req.body);
    const headers: Record<string, string> = { ...req.headers, authorization, accept: req.accept ?? "application/json" };
    if (contentType) headers["content-type"] = contentType;
    stats.requests++;
    try {
      const res = await poolFor(conn).request({
        method: req.method, path, headers, body: payload,
        signal: AbortSignal.timeout(conn.timeoutMs),
      });
      const text = await res.body.text();
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) flat[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v ?? "");
      return { status: res.statusCode, headers: flat, text };
    } catch (err) {
      const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string } };
      const tlsCode = [e.code, e.cause?.code].find((c) => c !== undefined && UNTRUSTED_CERT.has(c));
      if (tlsCode) {
        throw new DpapiError({
          code: "DPAPI_TLS_UNTRUSTED", method: req.method, path: req.path,
          message: `the Data Plane API's TLS certificate at ${baseUrl} is not trusted (${tlsCode})`,
          hint: tlsCode === "ERR_TLS_CERT_ALTNAME_INVALID"
            ? `the certificate is not for ${base.hostname}: use the host name it was issued for in haproxy-dataplane:url`
            : "set haproxy-dataplane:caCert to the PEM of the CA that signed it (insecureSkipVerify: true also works, but lets anyone on the path in)",
        });
      }
      const timedOut = e.name === "TimeoutError" || e.name === "AbortError" || /Timeout/i.test(e.code ?? "");
      throw new DpapiError({
        code: timedOut ? "DPAPI_TIMEOUT" : "DPAPI_UNREACHABLE",
        method: req.method, path: req.path,
        message: timedOut
          ? `Data Plane API at ${baseUrl} did not answer within ${conn.timeoutMs} ms`
          : `cannot reach the Data Plane API at ${baseUrl} (${e.code ?? e.message ?? "connection failed"})`,
        hint: timedOut ? "is HAProxy's Data Plane API overloaded or stuck? raise timeoutMs if it is just slow"
          : "check haproxy-dataplane:url (or HAPROXY_DATAPLANE_URL) and that dataplaneapi is running",
      });
    }
  }

  return {
    baseUrl,
    stats,
    exchange,
    async request(req) {
      const res = await exchange(req);
      if (res.status >= 200 && res.status < 300) return res;
      throw errorFromResponse(req.method, req.path, res.status, parseBody(res.text), baseUrl);
    },
  };
}

export function jsonOf(res: HttpResponse): unknown {
  return res.text === "" ? undefined : parseBody(res.text);
}
