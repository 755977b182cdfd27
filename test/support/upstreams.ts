// Tiny HTTP servers on 127.0.0.1 that answer with their own name, so a test
// can see which server HAProxy picked.
import { createServer, type Server } from "node:http";
import type { Bench } from "../bench/bench";

export interface Upstream { name: string; port: number; close(): Promise<void> }

export async function startUpstream(name: string): Promise<Upstream> {
  const srv: Server = createServer((req, res) => {
    res.setHeader("x-upstream", name);
    res.end(name);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  return { name, port, close: () => new Promise((r) => { srv.closeAllConnections(); srv.close(() => r()); }) };
}

/** Sends n requests through the bench frontend to `backend`; returns which upstreams answered, with counts. */
export async function sendThrough(bench: Bench, backend: string, n = 6, headers: Record<string, string> = {}): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await fetch(bench.haproxy.frontendUrl + "/", { headers: { "x-backend": backend, connection: "close", ...headers } });
    const body = await res.text();
    const key = res.status === 200 ? body : `HTTP ${res.status}`;
    seen[key] = (seen[key] ?? 0) + 1;
  }
  return seen;
}
