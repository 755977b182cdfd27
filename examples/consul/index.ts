// The Data Plane API follows a Consul service and keeps a whole HAProxy backend
// in step with its instances; a map and a Frontend route a host name to that backend. Scaling
// the service in Consul needs no `pulumi up`: DPAPI polls the catalog.
import * as pulumi from "@pulumi/pulumi";
import * as haproxy from "pulumi-haproxy-dataplane";

const config = new pulumi.Config();
const service = config.get("service") ?? "web";
const host = config.get("host") ?? `${service}.example.com`;

const discovery = new haproxy.ConsulDiscovery("consul", {
  // The Consul agent as the Data Plane API reaches it; this program reads the catalog there too.
  address: config.get("consulAddress") ?? "127.0.0.1",
  port: config.getNumber("consulPort") ?? 8500,
  token: config.getSecret("consulToken"),
  serviceAllowlist: [service],
  retryTimeout: config.getNumber("retryTimeout") ?? 2,
  // Only instances whose every check passes (node checks such as serfHealth included).
  healthCheckPolicy: config.get("healthCheckPolicy") === "none" ? "none" : "all",
  // `up` returns once HAProxy runs the service's instances, or fails saying what is missing.
  waitForBackends: true,
});

// The backend DPAPI made for the service: consul-backend-<address>-<port>-<service>.
export const backendName = discovery.backendNames.apply((names) => {
  const name = names[service];
  if (!name) throw new Error(`Consul has no service "${service}" (or the token cannot read it): register an instance, then run pulumi up again`);
  return name;
});

const hosts = new haproxy.MapFile("hosts", { name: "hosts.map", entries: { [host]: backendName } });

// Hosts the map does not know go to `unknown` (no servers: 503).
const unknown = new haproxy.Backend("unknown", { name: "unknown_host", mode: "http" });
const web = new haproxy.Frontend("web", {
  mode: "http",
  binds: [{ address: config.get("listenAddress") ?? "0.0.0.0", port: config.getNumber("port") ?? 80 }],
  routes: [{ backend: pulumi.interpolate`%[req.hdr(host),lower,map(${hosts.path},${unknown.name})]` }],
  defaultBackend: unknown.name,
});

export const watcher = discovery.watcher;
export const mapPath = hosts.path;
export const frontend = web.name;
