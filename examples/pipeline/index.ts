// The program a pull request changes: one backend with its servers and the
// frontend in front of it. Each environment is a stack (dev, prod) whose
// Pulumi.<stack>.yaml holds its endpoint, its servers and its Data Plane API
// password (a secret). .github/workflows/haproxy.yml previews both stacks on
// every pull request and applies them on merge: dev, then prod after approval.
import * as pulumi from "@pulumi/pulumi";
import * as haproxy from "pulumi-haproxy-dataplane";

interface ServerConfig { address: string; port: number; weight?: number }

const config = new pulumi.Config();
const servers = config.requireObject<ServerConfig[]>("servers");
const port = config.getNumber("port") ?? 80;

const app = new haproxy.Backend("app", {
  name: "app",
  mode: "http",
  balance: { algorithm: "roundrobin" },
  healthCheck: { method: "GET", uri: config.get("healthCheckUri") ?? "/healthz" },
  timeouts: { connect: 5_000, server: 30_000 },
  // Inline servers: `preview --diff` names each changed server and field.
  servers: servers.map((s, i) => ({
    name: `app-${i + 1}`, address: s.address, port: s.port, weight: s.weight ?? 100, check: true,
  })),
});

const web = new haproxy.Frontend("web", {
  name: "web",
  mode: "http",
  binds: [{ address: config.get("listenAddress") ?? "0.0.0.0", port }],
  httpRequestRules: [{ type: "set-header", name: "X-Environment", value: pulumi.getStack() }],
  defaultBackend: app.name,
  maxconn: config.getNumber("maxconn") ?? 2_000,
  timeouts: { client: 30_000 },
});

export const backend = app.name;
export const frontend = web.name;
export const serverCount = servers.length;
