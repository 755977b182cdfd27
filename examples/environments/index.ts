// One program, one stack per environment. The code is the same for dev and
// prod; what differs lives in Pulumi.<stack>.yaml: which Data Plane API to talk
// to (and its password, a stack secret), the domain, and how many servers each
// backend has. `pulumi up --stack dev`, check, then `pulumi up --stack prod`.
import * as pulumi from "@pulumi/pulumi";
import * as haproxy from "pulumi-haproxy-dataplane";

/** One backend of the environment, as Pulumi.<stack>.yaml declares it. */
interface BackendSpec {
  /** "<address>:<port>" of each server; the servers are named <backend>-1, <backend>-2, ... */
  servers: string[];
  /** Maximum concurrent connections per server (HAProxy's default when absent: no limit). */
  maxconn?: number;
}

const env = pulumi.getStack();
const config = new pulumi.Config();
const domain = config.require("domain");
const backends = config.requireObject<Record<string, BackendSpec>>("backends");
const healthCheckPath = config.get("healthCheckPath") ?? "/healthz";

const created = Object.entries(backends).map(([name, spec]) => {
  if (!Array.isArray(spec.servers) || spec.servers.length === 0) {
    throw new Error(`${env}: backends.${name}.servers must list at least one "<address>:<port>"`);
  }
  return { name, backend: new haproxy.Backend(name, {
    name,
    mode: "http",
    balance: { algorithm: "roundrobin" },
    healthCheck: { method: "GET", uri: healthCheckPath },
    servers: spec.servers.map((hostPort, i) => {
      const [address, port] = hostPort.trim().split(":");
      return { name: `${name}-${i + 1}`, address, port: Number(port), check: true, maxconn: spec.maxconn };
    }),
  }) };
});

// <backend>.<domain> goes to that backend; anything else to the first one.
const web = new haproxy.Frontend("web", {
  mode: "http",
  binds: [{ address: config.get("listenAddress") ?? "0.0.0.0", port: config.getNumber("listenPort") ?? 80 }],
  acls: created.map(({ name }) => ({ name: `host_${name}`, criterion: "hdr(host)", value: `${name}.${domain}` })),
  routes: created.map(({ name, backend }) => ({ backend: backend.name, if: `host_${name}` })),
  defaultBackend: created[0].backend.name,
  forwardFor: true,
});

export const environment = env;
export const frontend = web.name;
export const serversPerBackend = Object.fromEntries(Object.entries(backends).map(([name, spec]) => [name, spec.servers.length]));
