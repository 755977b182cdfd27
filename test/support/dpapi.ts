// Direct reads of the bench's Data Plane API that tests use as ground truth,
// independent of the client under test.
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { Agent, fetch as undiciFetch, type RequestInit } from "undici";
import type { Bench } from "../bench/bench";

const agents = new Map<string, Agent>();

/** fetch to the bench's DPAPI, trusting its throw-away CA when it serves HTTPS. */
function dpFetch(bench: Bench, url: string, init: RequestInit = {}) {
  const ca = bench.dataplane?.caCert;
  if (ca && !agents.has(ca)) agents.set(ca, new Agent({ connect: { ca } }));
  return undiciFetch(url, { ...init, dispatcher: ca ? agents.get(ca) : undefined });
}

function auth(bench: Bench) {
  const dp = bench.dataplane!;
  return { authorization: "Basic " + Buffer.from(`${dp.username}:${dp.password}`).toString("base64") };
}

export async function rawGet(bench: Bench, path: string): Promise<unknown> {
  const dp = bench.dataplane!;
  const res = await dpFetch(bench, `${dp.url}/${dp.generation}${path}`, { headers: auth(bench) });
  const text = await res.text();
  try { return JSON.parse(text); } catch { return text; }
}

export async function rawWrite(bench: Bench, method: string, path: string, body?: unknown) {
  const dp = bench.dataplane!;
  const version = await configVersion(bench);
  const sep = path.includes("?") ? "&" : "?";
  return dpFetch(bench, `${dp.url}/${dp.generation}${path}${sep}version=${version}`, {
    method, headers: { ...auth(bench), "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export async function configVersion(bench: Bench): Promise<number> {
  return Number(await rawGet(bench, "/services/haproxy/configuration/version"));
}

/**
 * How many times DPAPI ran the reload command since the bench started (the bench's reload script
 * logs each run). Reload ids would miss forced reloads, which DPAPI gives no id.
 */
export async function reloadCount(bench: Bench): Promise<number> {
  const log = join(bench.dir, "reloads.log");
  return existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean).length : 0;
}

/** The Consul discoveries DPAPI holds: only what tests compare (DPAPI answers with the token in plain text). */
export async function consulDiscoveries(bench: Bench): Promise<Array<{ id: string; enabled: boolean; retry_timeout?: number }>> {
  const body = (await rawGet(bench, "/service_discovery/consul")) as { data?: unknown } | unknown[] | null;
  const list = Array.isArray(body) ? body : (body as { data?: unknown[] } | null)?.data;
  return ((list ?? []) as Array<{ id: string; enabled: boolean; retry_timeout?: number }>)
    .map(({ id, enabled, retry_timeout }) => ({ id, enabled, retry_timeout }));
}

export async function openTransactions(bench: Bench): Promise<unknown[]> {
  const list = (await rawGet(bench, "/services/haproxy/transactions")) as unknown[] | null;
  return (list ?? []).filter((t) => (t as { status: string }).status === "in_progress");
}

export function accessLogLines(bench: Bench): string[] {
  const p = bench.dataplane!.logPath;
  return existsSync(p) ? readFileSync(p, "utf8").split("\n").filter(Boolean) : [];
}

export function haproxyCfg(bench: Bench): string {
  return readFileSync(bench.haproxy.configPath, "utf8");
}

/** A file upload to the bench's DPAPI outside Pulumi, as a person with curl -F would send it. */
export async function rawUpload(bench: Bench, method: "POST" | "PUT", path: string, filename: string, content: string) {
  const dp = bench.dataplane!;
  const form = new FormData();
  form.append("file_upload", new Blob([content], { type: "text/plain" }), filename);
  const res = await fetch(`${dp.url}/${dp.generation}${path}`, { method, headers: auth(bench), body: form });
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${await res.text()}`);
  return res;
}
