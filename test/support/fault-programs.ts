// The programs the fault tests share: an edge that carries the traffic a test watches, and a hundred objects to
// break halfway.
import type { Declared } from "./pulumi";

/** Backend `live` with one server, and Frontend `web` on 127.0.0.1:<webPort> sending everything to it. */
export function liveEdge(upstreamPort: number, webPort: number): Declared[] {
  return [
    { type: "Backend", name: "live", args: { balance: { algorithm: "roundrobin" }, servers: [{ name: "s1", address: "127.0.0.1", port: upstreamPort }] } },
    { type: "Frontend", name: "web", args: { mode: "http", binds: [{ address: "127.0.0.1", port: webPort }], defaultBackend: { $ref: "live.name" } } },
  ];
}

/** 10 Backends `<prefix>0` … `<prefix>9` with 9 Server resources each: 100 objects. */
export function hundredObjects(prefix: string, upstreamPort: number): Declared[] {
  const out: Declared[] = [];
  for (let i = 0; i < 10; i++) {
    out.push({ type: "Backend", name: `${prefix}${i}`, args: { balance: { algorithm: "roundrobin" } } });
    for (let j = 0; j < 9; j++) {
      out.push({ type: "Server", name: `${prefix}${i}-s${j}`, args: { backend: { $ref: `${prefix}${i}.name` }, name: `s${j}`, address: "127.0.0.1", port: upstreamPort } });
    }
  }
  return out;
}

/** How many servers haproxy.cfg has in the backends named `<prefix><digits>`. */
export function serversOf(cfg: string, prefix: string): number {
  let section = "";
  let n = 0;
  for (const line of cfg.split("\n")) {
    if (/^\S/.test(line)) section = line.split(/\s+/)[1] ?? "";
    if (new RegExp(`^${prefix}\\d+$`).test(section) && /^\s+server /.test(line)) n++;
  }
  return n;
}
