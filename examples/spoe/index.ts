// Every request asked of an external agent before it goes on: an SPOE file tells
// HAProxy to send `check-request` (the path) to the agent in backend spoa-auth;
// the agent answers by setting sess.auth.denied, and the Frontend denies what it
// flags. A GeneralFile is the page HAProxy answers with when the site is down.
// HAProxy checks the SPOE file and the Frontend at preview.
import * as pulumi from "@pulumi/pulumi";
import * as haproxy from "pulumi-haproxy-dataplane";

const config = new pulumi.Config();
const httpPort = config.getNumber("httpPort") ?? 80;
const agent = config.requireObject<{ address: string; port: number }>("agent");
const site = config.requireObject<{ address: string; port: number }>("site");

// The agent's own pool: SPOE speaks SPOP over TCP to these servers.
const agents = new haproxy.Backend("spoa-auth", {
  mode: "tcp",
  servers: [{ name: "agent-1", address: agent.address, port: agent.port }],
});

const spoe = new haproxy.SpoeFile("auth", {
  name: "auth.conf",
  contents: pulumi.interpolate`[auth]
spoe-agent auth-agent
    messages check-request
    option var-prefix auth
    timeout hello 2s
    timeout idle 2m
    timeout processing 500ms
    use-backend ${agents.name}
spoe-message check-request
    args path=path
    event on-frontend-http-request
`,
});

const web = new haproxy.Backend("web", {
  mode: "http",
  // Health-checked, so that HAProxy knows when no server is up and the maintenance page applies.
  servers: [{ name: "web-1", address: site.address, port: site.port, check: true }],
});

const maintenance = new haproxy.GeneralFile("maintenance", {
  name: "503.http",
  contents: "<!doctype html><title>Back soon</title><h1>Back soon</h1>\n",
});

const edge = new haproxy.Frontend("edge", {
  mode: "http",
  binds: [{ address: "127.0.0.1", port: httpPort }],
  filters: [{ type: "spoe", engine: "auth", config: spoe.path }],
  httpRequestRules: [
    { type: "deny", if: "{ var(sess.auth.denied) -m bool }" },
    // No server of the site is up: the maintenance page, not HAProxy's bare 503.
    { type: "return", status: 503, contentType: "text/html", file: maintenance.path, if: pulumi.interpolate`{ nbsrv(${web.name}) eq 0 }` },
  ],
  defaultBackend: web.name,
});

export const frontend = edge.name;
export const spoePath = spoe.path;
