// Blue/green with one map entry: two backends stay up, and the host → backend
// map decides which one serves the traffic. Switching is `pulumi config set
// live green && pulumi up`: one runtime map update, no HAProxy reload. The
// Frontend that routes by the map is declared here too: no line to paste.
import * as pulumi from "@pulumi/pulumi";
import * as haproxy from "pulumi-haproxy-dataplane";

const config = new pulumi.Config();
const host = config.get("host") ?? "app.example.com";
const live = config.get("live") ?? "blue";
if (live !== "blue" && live !== "green") throw new Error(`config "live" must be blue or green, not ${JSON.stringify(live)}`);

const colors = ["blue", "green"] as const;
const backends = colors.map((color) => {
  const backend = new haproxy.Backend(color, { name: `app_${color}`, mode: "http", balance: { algorithm: "roundrobin" } });
  // "<address>:<port>" of this color's instance, e.g. 10.0.0.11:8080.
  const [address, port] = config.require(`${color}Address`).split(":");
  new haproxy.Server(`${color}-1`, { backend: backend.name, address, port: Number(port) });
  return backend;
});

// The whole switch is this one entry. Both backends exist before the map names them.
const routes = new haproxy.MapFile("routes", {
  name: "routes.map",
  entries: { [host]: `app_${live}` },
}, { dependsOn: backends });

// The frontend routes each host through the map; hosts the map does not know go to `unknown` (no servers: 503).
const unknown = new haproxy.Backend("unknown", { name: "app_unknown", mode: "http" });
const web = new haproxy.Frontend("web", {
  mode: "http",
  binds: [{ address: config.get("listenAddress") ?? "0.0.0.0", port: config.getNumber("port") ?? 80 }],
  routes: [{ backend: pulumi.interpolate`%[req.hdr(host),lower,map(${routes.path},${unknown.name})]` }],
  defaultBackend: unknown.name,
});

export const liveColor = live;
export const mapPath = routes.path;
export const frontend = web.name;
