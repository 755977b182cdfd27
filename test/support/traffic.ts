// Releases under load: one edge (blue/green by map, a canary split, a pool of
// Server resources, a TLS frontend) and the kinds of change a release makes,
// each applied by `pulumi up` while a real load client counts failed requests.
import type { Bench } from "../bench/bench";
import { freePort } from "../bench/bench";
import { type Declared, type ProgramStack } from "./pulumi";
import { CertFactory, declareSecretly, type TestCert } from "./haproxy-files";
import { startLoad, type Client, type LoadResult } from "./load";
import { startUpstream, type Upstream } from "./upstreams";

export type Kind = "none" | "blue-green" | "canary" | "server-weight" | "reload" | "certificate";

/** What the declared edge looks like now; each change edits it and runs `pulumi up`. */
interface EdgeState {
  live: "blue" | "green";
  canary: number;
  poolWeights: number[];
  drained: boolean[];
  extraBackends: number;
  cert: TestCert;
}

export interface Edge {
  /** Applies `count` changes of this kind, each through `pulumi up`, while `client` load runs against the host the kind changes. */
  measure(kind: Kind, count: number, client: Client): Promise<LoadResult & { kind: Kind; changes: number; seconds: number }>;
  close(): Promise<void>;
}

const HOSTS: Record<Kind, string> = {
  none: "pool.example.com", "blue-green": "bg.example.com", canary: "canary.example.com",
  "server-weight": "pool.example.com", reload: "pool.example.com", certificate: "pool.example.com",
};

export async function startEdge(bench: Bench, ps: ProgramStack): Promise<Edge> {
  const certs = new CertFactory();
  const names = ["blue", "green", "stable", "canary", "p0", "p1", "p2", "extra"];
  const ups: Record<string, Upstream> = {};
  for (const n of names) ups[n] = await startUpstream(n);
  const httpPort = await freePort();
  const httpsPort = await freePort();
  const s: EdgeState = { live: "blue", canary: 10, poolWeights: [10, 10, 10], drained: [false, false, false], extraBackends: 0, cert: certs.selfSigned("pool.example.com") };

  const inline = (name: string, up: string) => ({ type: "Backend" as const, name, args: { balance: { algorithm: "roundrobin" },
    servers: [{ name: "s1", address: "127.0.0.1", port: ups[up].port }] } });
  const declared = (): Declared[] => [
    inline("bg-blue", "blue"), inline("bg-green", "green"), inline("app-stable", "stable"), inline("app-canary", "canary"),
    ...Array.from({ length: s.extraBackends }, (_, i) => inline(`extra${i}`, "extra")),
    { type: "Backend", name: "pool", args: { balance: { algorithm: "roundrobin" } } },
    ...s.poolWeights.map((weight, i): Declared => ({ type: "Server", name: `pool-p${i}`,
      args: { backend: { $ref: "pool.name" }, name: `p${i}`, address: "127.0.0.1", port: ups[`p${i}`].port, weight, drain: s.drained[i] } })),
    { type: "MapFile", name: "bg", args: { name: "bg.map", entries: { "bg.example.com": `bg-${s.live}` } } },
    { type: "Certificate", name: "site", args: { name: "site.pem", certificate: s.cert.cert, privateKey: { $secret: s.cert.key } } },
    { type: "Frontend", name: "web", args: {
      mode: "http",
      binds: [{ address: "127.0.0.1", port: httpPort }, { address: "127.0.0.1", port: httpsPort, ssl: { certificates: [{ $ref: "site.path" }] } }],
      acls: [
        { name: "host_bg", criterion: "hdr(host)", value: "bg.example.com" },
        { name: "host_canary", criterion: "hdr(host)", value: "canary.example.com" },
        ...Array.from({ length: s.extraBackends }, (_, i) => ({ name: `host_extra${i}`, criterion: "hdr(host)", value: `extra${i}.example.com` })),
      ],
      routes: [
        { backend: { $concat: ["%[req.hdr(host),lower,map(", { $ref: "bg.path" }, ",bg-blue)]"] }, if: "host_bg" },
        { split: [{ backend: { $ref: "app-stable.name" }, weight: 100 - s.canary }, { backend: { $ref: "app-canary.name" }, weight: s.canary }], if: "host_canary" },
        ...Array.from({ length: s.extraBackends }, (_, i) => ({ backend: { $ref: `extra${i}.name` }, if: `host_extra${i}` })),
      ],
      defaultBackend: { $ref: "pool.name" },
    } },
  ];
  const up = async () => {
    await declareSecretly(ps, declared());
    const res = await ps.stack.up();
    if (res.summary.result !== "succeeded") throw new Error(`up: ${res.summary.result}`);
  };
  await up();

  /** The i-th change of a kind: each leaves the edge serving everything it served. */
  const change: Record<Exclude<Kind, "none">, (i: number) => void> = {
    "blue-green": () => { s.live = s.live === "blue" ? "green" : "blue"; },
    canary: (i) => { s.canary = [10, 50, 90, 50][i % 4]; },
    // Weight changes, and every third a drain of one server that the next change undrains.
    "server-weight": (i) => {
      if (i % 3 === 2) s.drained[i % 3] = !s.drained[i % 3];
      else s.poolWeights[i % 3] = s.poolWeights[i % 3] === 10 ? 30 : 10;
    },
    // Adds a backend with a server and a route to it, then removes them.
    reload: () => { s.extraBackends = s.extraBackends === 0 ? 1 : 0; },
    certificate: () => { s.cert = certs.selfSigned("pool.example.com"); },
  };

  return {
    async measure(kind, count, client) {
      const url = kind === "certificate" ? `https://127.0.0.1:${httpsPort}/` : `http://127.0.0.1:${httpPort}/`;
      const load = startLoad(url, { host: HOSTS[kind], client });
      const t0 = Date.now();
      // Load alone for a moment before the first change and after the last one.
      await new Promise((r) => setTimeout(r, 1000));
      if (kind === "none") await new Promise((r) => setTimeout(r, 5000));
      else for (let i = 0; i < count; i++) { change[kind](i); await up(); }
      await new Promise((r) => setTimeout(r, 1000));
      const result = await load.stop();
      return { ...result, kind, changes: kind === "none" ? 0 : count, seconds: (Date.now() - t0) / 1000 };
    },
    async close() {
      for (const u of Object.values(ups)) await u.close();
    },
  };
}
