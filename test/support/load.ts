// A real load client (wrk, from Debian) on loopback, running until stopped, that
// counts every failed request: non-2xx answers, connection errors and timeouts.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type Client = "new-connection" | "keep-alive";

export interface LoadResult {
  sent: number;
  /** Non-2xx answers + connect, read, write errors + timeouts: each a request a user would have seen fail. */
  failed: number;
  non2xx: number;
  errors: { connect: number; read: number; write: number; timeout: number };
  requestsPerSecond: number;
  p50ms: number;
  p99ms: number;
}

export interface Load { stop(): Promise<LoadResult> }

// Each thread counts its non-2xx answers; done() adds them up and prints one line for us.
const SCRIPT = `
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status < 200 or status > 299 then bad = bad + 1 end end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d\\n", summary.requests, b, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(99), summary.duration))
end
`;

export function wrkAvailable(): boolean {
  return spawnSync("wrk", ["--version"], { stdio: "ignore" }).error === undefined;
}

/**
 * Starts wrk against `url` (127.0.0.1 only) with this Host header. "new-connection" sends
 * `Connection: close`, so every request opens a connection; "keep-alive" reuses them.
 */
export function startLoad(url: string, opts: { host: string; client: Client; connections?: number }): Load {
  if (!/^https?:\/\/127\.0\.0\.1:\d+/.test(url)) throw new Error(`load: only 127.0.0.1, not ${url}`);
  const dir = mkdtempSync(join(tmpdir(), "load-"));
  writeFileSync(join(dir, "count.lua"), SCRIPT);
  const args = ["-t", "2", "-c", String(opts.connections ?? 8), "-d", "3600s", "--timeout", "2s", "-s", join(dir, "count.lua"),
    "-H", `Host: ${opts.host}`, ...(opts.client === "new-connection" ? ["-H", "Connection: close"] : []), url];
  const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return {
    async stop() {
      child.kill("SIGINT");
      await exited;
      rmSync(dir, { recursive: true, force: true });
      const m = /RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(out);
      if (!m) throw new Error(`load: wrk printed no result:\n${out.slice(-2000)}`);
      const [sent, non2xx, connect, read, write, timeout, p50us, p99us, durationUs] = m.slice(1).map(Number);
      return {
        sent, non2xx, errors: { connect, read, write, timeout },
        failed: non2xx + connect + read + write + timeout,
        requestsPerSecond: sent / (durationUs / 1e6), p50ms: p50us / 1000, p99ms: p99us / 1000,
      };
    },
  };
}
