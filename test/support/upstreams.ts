// Tiny HTTP servers on 127.0.0.1 that answer with their own name, so a test
// can see which server HAProxy picked.
import { createServer, request, type Server } from "node:http";
import type { Router } from "./router";

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

/**
 * Sends n requests through a router (test/support/router.ts) to `backend`, named in its `x-backend` header;
 * returns which upstreams answered, with counts (`HTTP <status>` for anything but a 200).
 */
export async function sendThrough(router: Router, backend: string, n = 6, headers: Record<string, string> = {}): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await fetch(router.url + "/", { headers: { "x-backend": backend, connection: "close", ...headers } });
    const body = await res.text();
    const key = res.status === 200 ? body : `HTTP ${res.status}`;
    seen[key] = (seen[key] ?? 0) + 1;
  }
  return seen;
}

/**
 * One GET to a listener on 127.0.0.1 with this Host (node:http: fetch does not send a Host of our choosing).
 * The upstream's name on 200, else "HTTP <status>", or "error <code>" when nothing accepts the connection.
 */
export function getOnPort(port: number, host: string, path = "/"): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { host, connection: "close" } }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(res.statusCode === 200 ? body : `HTTP ${res.statusCode}`));
    });
    req.on("error", (e) => resolve(`error ${(e as { code?: string }).code ?? e.message}`));
    req.end();
  });
}

/** n GETs to a listener (a new connection each, `concurrency` at a time); how many each upstream (or status) answered. */
export async function tally(port: number, host: string, n: number, concurrency = 16): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  let sent = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (sent < n) {
      sent++;
      const who = await getOnPort(port, host);
      seen[who] = (seen[who] ?? 0) + 1;
    }
  }));
  return seen;
}

export interface RequestLoop {
  /** Stops the loop; the number of requests sent and the answers that were not `expected`'s. */
  stop(): Promise<{ sent: number; failed: string[] }>;
}

const runningLoops = new Set<RequestLoop>();

/**
 * Requests through HAProxy on `port` until stopped, counting answers that did not come from `expected`. A test
 * that fails midway never reaches its stop(), and a loop left running keeps jest from exiting: stopRequestLoops()
 * in an afterEach stops whatever is left.
 */
export function requestLoop(port: number, host: string, expected: string): RequestLoop {
  let running = true;
  let sent = 0;
  const failed: string[] = [];
  const done = (async () => {
    while (running) {
      const who = await getOnPort(port, host);
      sent++;
      if (who !== expected) failed.push(who);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const loop: RequestLoop = {
    async stop() { running = false; runningLoops.delete(loop); await done; return { sent, failed }; },
  };
  runningLoops.add(loop);
  return loop;
}

export async function stopRequestLoops(): Promise<void> {
  await Promise.all([...runningLoops].map((l) => l.stop()));
}
