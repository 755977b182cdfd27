// One edge, three HAProxy nodes, one program. Each node has its own Data Plane
// API (URL in stack config, password a stack secret). The Fleet declares the
// same backend and frontend on every node and rolls a change out node by node:
// lb2 starts only after lb1's change is applied and lb1 answers its health
// check, through lb1's own HAProxy. A change that breaks lb1 fails `pulumi up`
// there, and lb2 and lb3 keep serving the previous configuration.
import * as pulumi from "@pulumi/pulumi";
import * as haproxy from "pulumi-haproxy-dataplane";

/** One node as the stack config lists it. */
interface NodeConfig {
  /** Node name; the password is the secret `<name>Password`, and `{node}` in the health check URL becomes it. */
  name: string;
  /** The node's Data Plane API, e.g. https://lb1.internal:5555. */
  url: string;
  /** Basic-auth user. Default: admin. */
  username?: string;
  /** This node's health check URL, when the template does not fit it. */
  healthCheckUrl?: string;
  /** This node's listening port, when not `listenPort` (several nodes on one test machine). */
  listenPort?: number;
}

const config = new pulumi.Config();
const nodes = config.requireObject<NodeConfig[]>("nodes");
const appServers = config.requireObject<string[]>("appServers");
const listenAddress = config.get("listenAddress") ?? "0.0.0.0";
const listenPort = config.getNumber("listenPort") ?? 80;

const edge = new haproxy.Fleet("edge", {
  nodes: nodes.map((n) => ({
    name: n.name,
    url: n.url,
    username: n.username,
    password: config.requireSecret(`${n.name}Password`),
    healthCheckUrl: n.healthCheckUrl,
  })),
  rollout: {
    order: "sequential",
    // Through the node's own frontend to the app: the check passes only if this node's new
    // configuration really serves the app. {node} becomes the node's name.
    healthCheck: {
      url: config.get("healthCheckUrl") ?? "http://{node}/healthz",
      expectStatus: 200,
      timeoutSeconds: config.getNumber("healthCheckTimeoutSeconds") ?? 30,
    },
  },
}, (node) => {
  // The same declarations as for one node, with node.opts: the node's connection and its place in the rollout.
  const app = new haproxy.Backend("app", {
    mode: "http",
    balance: { algorithm: "roundrobin" },
    servers: appServers.map((hostPort, i) => {
      const [address, port] = hostPort.split(":");
      return { name: `app-${i + 1}`, address, port: Number(port) };
    }),
  }, node.opts);
  const port = nodes[node.index].listenPort ?? listenPort;
  new haproxy.Frontend("www", {
    mode: "http",
    binds: [{ address: listenAddress, port }],
    defaultBackend: app.name,
    forwardFor: true,
  }, node.opts);
});

export const rolloutOrder = edge.nodes;
