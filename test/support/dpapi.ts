// Direct reads of the bench's Data Plane API that tests use as ground truth,
// independent of the client under test.
import { readFileSync, existsSync } from "node:fs";
import type { Bench } from "../bench/bench";

function auth(bench: Bench) {
  const dp = bench.dataplane!;
  return { authorization: "Basic " + Buffer.from(`${dp.username}:${dp.password}`).toString("base64") };
}

export async function rawGet(bench: Bench, path: string): Promise<unknown> {
  const dp = bench.dataplane!;
  const res = await fetch(`${dp.url}/${dp.generation}${path}`, { headers: auth(bench) });
  const text = await res.text();
  try { return JSON.parse(text); } catch { return text; }
}

export async function rawWrite(bench: Bench, method: string, path: string, body?: unknown): Promise<Response> {
  const dp = bench.dataplane!;
  const version = await configVersion(bench);
  const sep = path.includes("?") ? "&" : "?";
  return fetch(`${dp.url}/${dp.generation}${path}${sep}version=${version}`, {
    method, headers: { ...auth(bench), "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export async function configVersion(bench: Bench): Promise<number> {
  return Number(await rawGet(bench, "/services/haproxy/configuration/version"));
}

/** How many reloads DPAPI ran since it started: its ids end in a counter from 0, and it lists only the latest. */
export async function reloadCount(bench: Bench): Promise<number> {
  const list = (await rawGet(bench, "/services/haproxy/reloads")) as Array<{ id: string }> | null;
  const ids = (list ?? []).map((r) => Number(r.id.split("-").pop()));
  return ids.length ? Math.max(...ids) + 1 : 0;
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
