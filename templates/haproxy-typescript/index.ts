// ${DESCRIPTION}
//
// An HAProxy frontend and one backend with its servers, managed through the
// HAProxy Data Plane API that the stack config `haproxy-dataplane:url` names
// (its password is the stack secret `haproxy-dataplane:password`).
// `pulumi preview --diff` shows what would change; `pulumi up` applies it.
import * as pulumi from "@pulumi/pulumi";
import * as haproxy from "pulumi-haproxy-dataplane";

const config = new pulumi.Config();
// "<address>:<port>,<address>:<port>", from `pulumi config set servers ...`.
const servers = (config.get("servers") ?? "127.0.0.1:8081").split(",").map((hostPort, i) => {
  const [address, port] = hostPort.trim().split(":");
  return { name: `app-${i + 1}`, address, port: Number(port), check: true };
});

const app = new haproxy.Backend("app", {
  mode: "http",
  balance: { algorithm: "roundrobin" },
  healthCheck: { method: "GET", uri: "/" },
  servers,
});

const listenAddress = config.get("listenAddress") ?? "127.0.0.1";
const listenPort = config.getNumber("listenPort") ?? 8080;
const web = new haproxy.Frontend("web", {
  mode: "http",
  binds: [{ address: listenAddress, port: listenPort }],
  defaultBackend: app.name,
  forwardFor: true,
});

export const backend = app.name;
export const frontend = web.name;
export const url = `http://${listenAddress}:${listenPort}/`;
