// Quickstart: a frontend on a local port and one backend with two servers
// behind it, managed through the Data Plane API. `bash scripts/quickstart.sh`
// runs it against a local HAProxy it starts for you; point
// haproxy-dataplane:url at your own for real.
import * as pulumi from "@pulumi/pulumi";
import * as haproxy from "pulumi-haproxy-dataplane";

const config = new pulumi.Config();
const ports = config.requireObject<number[]>("upstreamPorts");
const listen = config.getNumber("frontendPort") ?? 8080;

const app = new haproxy.Backend("app", {
  mode: "http",
  balance: { algorithm: "roundrobin" },
  timeouts: { connect: 5000, server: 30000 },
});

export const servers = ports.map((port, i) =>
  new haproxy.Server(`app-${i + 1}`, { backend: app.name, address: "127.0.0.1", port, weight: 100 }).id);

export const backend = app.name;

const web = new haproxy.Frontend("web", {
  mode: "http",
  binds: [{ address: "127.0.0.1", port: listen }],
  httpRequestRules: [{ type: "set-header", name: "X-Forwarded-Proto", value: "http" }],
  defaultBackend: app.name,
  timeouts: { client: 30_000 },
});

export const url = pulumi.interpolate`http://127.0.0.1:${listen}/ (frontend ${web.name})`;
