// Blue/green with one map entry: two backends stay up, and the host → backend
// map decides which one serves the traffic. Switching is `pulumi config set
// live green && pulumi up`: one runtime map update, no HAProxy reload.
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

export const liveColor = live;
export const mapPath = routes.path;
/** The line haproxy.cfg's frontend needs (once) so that HAProxy routes by this map. */
export const frontendLine = pulumi.interpolate`use_backend %[req.hdr(host),lower,map(${routes.path},be_default)]`;
