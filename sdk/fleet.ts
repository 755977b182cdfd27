import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { HealthGateInputs } from "../provider/resources/health-gate";
import { dynamicProvider } from "./provider";
import type { Inputs } from "./inputs";

/** One HAProxy node of a {@link Fleet}: its name and its Data Plane API. */
export interface FleetNodeArgs {
  /** Node name: letters, digits, `-` and `_`, unique in the fleet. It is part of the URNs of the node's resources, so renaming a node replaces them. */
  name: string;
  /** Base URL of the node's Data Plane API, without `/v2` or `/v3`, e.g. `https://lb1.internal:5555`. */
  url: pulumi.Input<string>;
  /** HTTP basic-auth user. Default: `admin`. */
  username?: pulumi.Input<string>;
  /** HTTP basic-auth password; stored only as a secret (give it from secret config). Default: empty. */
  password?: pulumi.Input<string>;
  /** PEM of a CA that signs the node's API certificate. Default: the system CAs. */
  caCert?: pulumi.Input<string>;
  /** Skip TLS verification of the node's API (explicit opt-in). Default: false. */
  insecureSkipVerify?: pulumi.Input<boolean>;
  /**
   * This node's health check URL; wins over `rollout.healthCheck.url` (the other health check settings still apply).
   * A node with one has a health gate even without `rollout.healthCheck`. Default: the template with `{node}` replaced.
   */
  healthCheckUrl?: string;
}

/** What a node must answer after its changes before the rollout moves on. */
export interface FleetHealthCheckArgs {
  /**
   * URL to GET, a template: `{node}` becomes the node's name, e.g. `http://{node}.internal/healthz`. Pick a URL
   * served through the node's own HAProxy, on a route the change touches. Required unless every node gives its
   * own `healthCheckUrl`.
   */
  url?: string;
  /** The status that means healthy. Default: 200. */
  expectStatus?: number;
  /** How long to keep asking (every 0.5 s) before the rollout stops at this node. Default: 30. */
  timeoutSeconds?: number;
  /** Request headers, e.g. `{ Host: "www.example.com" }` to reach a host-routed frontend. Default: none. */
  headers?: Record<string, string>;
}

/** How changes go out to the nodes. */
export interface FleetRolloutArgs {
  /**
   * `sequential`: a node's changes start only after the nodes before it are applied and healthy (in batches of
   * `maxUnavailable`). `parallel`: every node at once. Default: `sequential`.
   */
  order?: "sequential" | "parallel";
  /** With `sequential`: how many nodes change at once (a batch); the next batch waits for all of this one. Default: 1. */
  maxUnavailable?: number;
  /** The health gate after each node's changes. Default: none (a sequential rollout then waits only for the changes to be applied). */
  healthCheck?: FleetHealthCheckArgs;
}

/** Inputs of a {@link Fleet}. */
export interface FleetArgs {
  /** The nodes, in rollout order. */
  nodes: FleetNodeArgs[];
  /** Order, batch size and health gate of the rollout. Default: sequential, one node at a time, no health check. */
  rollout?: FleetRolloutArgs;
}

/** What the callback of a {@link Fleet} gets for each node. */
export interface FleetNode {
  /** The node's name, as given in `nodes`. */
  readonly name: string;
  /** The node's position in `nodes`, from 0. */
  readonly index: number;
  /** Options for every resource of this node: pass them to each one (`new haproxy.Backend("api", {...}, node.opts)`). They carry the node's connection and its place in the rollout. */
  readonly opts: pulumi.ComponentResourceOptions;
}

const PACKAGE_PREFIX = "pulumi-nodejs:dynamic/haproxy:";
const GATE_TYPE = `${PACKAGE_PREFIX}HealthGate`;
const NODE_NAME = /^[A-Za-z0-9_-]+$/;

/** `{node}` in a health check URL template becomes the node's name. */
export function healthCheckUrlFor(template: string, node: string): string {
  return template.split("{node}").join(node);
}

/** A resource as the callback declared it, for the node's fingerprint. */
interface Declared { type: string; name: string; props: Record<string, unknown> }

/**
 * Canonical JSON: sorted keys, no undefined, resources by type and name (their fields are outputs and parents,
 * not what was declared), so the same declarations always hash the same.
 */
function canonical(v: unknown): unknown {
  if (pulumi.Resource.isInstance(v)) {
    const r = v as unknown as { __pulumiType?: string; __name?: string };
    return { $resource: `${r.__pulumiType}::${r.__name}` };
  }
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : canonical(x)));
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  }
  return typeof v === "function" ? undefined : v;
}

/** SHA-256 over what a node declares; secret when any of it is (Pulumi propagates that). */
function fingerprintOf(declared: Declared[]): pulumi.Output<string> {
  return pulumi.output(declared.map((d) => ({ type: d.type, name: d.name, props: d.props })))
    .apply((list) => createHash("sha256")
      .update(JSON.stringify(canonical([...list].sort((a, b) => `${a.type}::${a.name}`.localeCompare(`${b.type}::${b.name}`)))))
      .digest("hex"));
}

/** `extra` added to whatever dependsOn a resource already has (a list, one resource, an output or a promise). */
function withDependsOn(existing: pulumi.ResourceOptions["dependsOn"], extra: pulumi.Resource[]): pulumi.ResourceOptions["dependsOn"] {
  if (extra.length === 0) return existing;
  if (existing === undefined) return extra;
  if (Array.isArray(existing)) return [...existing, ...extra];
  // An output or promise of a list is fine as an element: the SDK flattens dependsOn recursively.
  return [existing as pulumi.Input<pulumi.Resource>, ...extra];
}

function fail(fleet: string, field: string, message: string): never {
  throw new Error(`Fleet "${fleet}": ${field}: ${message}`);
}

const isHttpUrl = (s: string) => {
  try {
    const u = new URL(s);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
  } catch {
    return false;
  }
};

/** Everything a Fleet is given, checked before any resource is registered; errors name the field. */
function validate(fleet: string, args: FleetArgs, callback: unknown): void {
  if (typeof callback !== "function") fail(fleet, "callback", "must be a function (node) => { ... } that declares one node's resources");
  if (!args || !Array.isArray(args.nodes) || args.nodes.length === 0) fail(fleet, "nodes", "must be a non-empty list of { name, url, ... }");
  const seen = new Map<string, number>();
  const allowedNode = new Set(["name", "url", "username", "password", "caCert", "insecureSkipVerify", "healthCheckUrl"]);
  args.nodes.forEach((n, i) => {
    const at = `nodes[${i}]`;
    if (!n || typeof n !== "object") fail(fleet, at, "must be an object { name, url, ... }");
    for (const k of Object.keys(n)) if (!allowedNode.has(k)) fail(fleet, `${at}.${k}`, `unknown field (allowed: ${[...allowedNode].join(", ")})`);
    if (typeof n.name !== "string" || !NODE_NAME.test(n.name)) fail(fleet, `${at}.name`, `${JSON.stringify(n.name)} must be letters, digits, - and _ (it becomes part of URNs)`);
    if (seen.has(n.name)) fail(fleet, `${at}.name`, `"${n.name}" is already the name of nodes[${seen.get(n.name)}]; node names must be unique`);
    seen.set(n.name, i);
    if (n.url === undefined || n.url === null || n.url === "") fail(fleet, `${at}.url`, "is required: the node's Data Plane API, e.g. https://lb1.internal:5555");
    if (typeof n.url === "string" && !isHttpUrl(n.url)) fail(fleet, `${at}.url`, `${JSON.stringify(n.url)} must be an http:// or https:// URL, e.g. https://lb1.internal:5555`);
    if (n.healthCheckUrl !== undefined && (typeof n.healthCheckUrl !== "string" || !isHttpUrl(healthCheckUrlFor(n.healthCheckUrl, n.name)))) {
      fail(fleet, `${at}.healthCheckUrl`, `${JSON.stringify(n.healthCheckUrl)} must be an http:// or https:// URL`);
    }
  });
  const r = args.rollout ?? {};
  if (typeof r !== "object") fail(fleet, "rollout", "must be an object { order, maxUnavailable, healthCheck }");
  for (const k of Object.keys(r)) if (!["order", "maxUnavailable", "healthCheck"].includes(k)) fail(fleet, `rollout.${k}`, "unknown field (allowed: order, maxUnavailable, healthCheck)");
  if (r.order !== undefined && r.order !== "sequential" && r.order !== "parallel") fail(fleet, "rollout.order", `${JSON.stringify(r.order)} must be "sequential" or "parallel"`);
  if (r.maxUnavailable !== undefined && !(Number.isInteger(r.maxUnavailable) && r.maxUnavailable >= 1)) {
    fail(fleet, "rollout.maxUnavailable", `${JSON.stringify(r.maxUnavailable)} must be a whole number of nodes, 1 or more`);
  }
  if (r.maxUnavailable !== undefined && r.order === "parallel") fail(fleet, "rollout.maxUnavailable", "applies to the sequential order only (parallel changes every node at once)");
  const hc = r.healthCheck;
  if (hc === undefined) return;
  if (!hc || typeof hc !== "object") fail(fleet, "rollout.healthCheck", "must be an object { url, expectStatus, timeoutSeconds, headers }");
  for (const k of Object.keys(hc)) if (!["url", "expectStatus", "timeoutSeconds", "headers"].includes(k)) fail(fleet, `rollout.healthCheck.${k}`, "unknown field (allowed: url, expectStatus, timeoutSeconds, headers)");
  if (hc.url !== undefined) {
    if (typeof hc.url !== "string" || !isHttpUrl(healthCheckUrlFor(hc.url, "node"))) fail(fleet, "rollout.healthCheck.url", `${JSON.stringify(hc.url)} must be an http:// or https:// URL template, e.g. http://{node}:80/healthz`);
  } else {
    const without = args.nodes.findIndex((n) => n.healthCheckUrl === undefined);
    if (without >= 0) fail(fleet, "rollout.healthCheck.url", `is required: nodes[${without}] ("${args.nodes[without].name}") gives no healthCheckUrl of its own`);
  }
  if (hc.expectStatus !== undefined && !(Number.isInteger(hc.expectStatus) && hc.expectStatus >= 100 && hc.expectStatus <= 599)) {
    fail(fleet, "rollout.healthCheck.expectStatus", `${JSON.stringify(hc.expectStatus)} must be an HTTP status, 100-599`);
  }
  if (hc.timeoutSeconds !== undefined && !(typeof hc.timeoutSeconds === "number" && hc.timeoutSeconds > 0 && hc.timeoutSeconds <= 3600)) {
    fail(fleet, "rollout.healthCheck.timeoutSeconds", `${JSON.stringify(hc.timeoutSeconds)} must be a number of seconds, more than 0 and at most 3600`);
  }
  if (hc.headers !== undefined) {
    if (!hc.headers || typeof hc.headers !== "object" || Array.isArray(hc.headers)) fail(fleet, "rollout.healthCheck.headers", "must be an object of header name → value");
    for (const [k, v] of Object.entries(hc.headers)) {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) fail(fleet, `rollout.healthCheck.headers.${k}`, "is not a valid HTTP header name");
      if (typeof v !== "string" || /[\r\n]/.test(v)) fail(fleet, `rollout.healthCheck.headers.${k}`, "must be a string on one line");
    }
  }
}

/**
 * The component one node's resources live under. Its type carries the node's name because a URN holds the types
 * of a resource's parents but not their names: with one shared type, node lb1's "api" and node lb2's "api" would
 * have the same URN.
 */
class FleetNodeComponent extends pulumi.ComponentResource {
  /** Called once the callback has declared the node's resources. */
  finish(): void { this.registerOutputs({}); }
}

/** A node's health gate (provider/resources/health-gate.ts). Internal: a Fleet makes them. */
class HealthGate extends pulumi.dynamic.Resource {
  constructor(name: string, args: Inputs<Omit<HealthGateInputs, "fingerprint">> & { fingerprint: pulumi.Input<string> }, opts: pulumi.CustomResourceOptions) {
    super(dynamicProvider("health-gate"), name, { ...args }, opts, "haproxy", "HealthGate");
  }
}

/**
 * One program, several HAProxy nodes: the callback declares one node's resources, and the Fleet declares them on
 * every node, each with that node's Data Plane API, rolled out node by node behind a health gate.
 *
 * In the default sequential order, node k+1's resources depend on node k's health gate, which depends on node k's
 * resources: the engine applies node k's changes, then GETs the health check URL until it answers as expected,
 * and only then starts node k+1. A check that never passes fails `pulumi up` at that node, naming it and what the
 * check saw; the nodes after it are not touched. Each node's resources live under a component of type
 * `haproxy:fleet:Node-<name>`, so `pulumi preview --diff` shows every node's changes under its node.
 *
 * ## Example usage
 * ```ts
 * import * as pulumi from "@pulumi/pulumi";
 * import * as haproxy from "pulumi-haproxy-dataplane";
 *
 * const cfg = new pulumi.Config();
 * new haproxy.Fleet("edge", {
 *   nodes: [
 *     { name: "lb1", url: "https://lb1.internal:5555", password: cfg.requireSecret("lb1Password") },
 *     { name: "lb2", url: "https://lb2.internal:5555", password: cfg.requireSecret("lb2Password") },
 *   ],
 *   rollout: { order: "sequential", healthCheck: { url: "http://{node}.internal/healthz", expectStatus: 200, timeoutSeconds: 30 } },
 * }, (node) => {
 *   const api = new haproxy.Backend("api", { mode: "http", servers: [{ name: "api-1", address: "10.0.0.11", port: 8080 }] }, node.opts);
 *   new haproxy.Frontend("web", { binds: [{ address: "0.0.0.0", port: 80 }], defaultBackend: api.name }, node.opts);
 * });
 * ```
 */
export class Fleet extends pulumi.ComponentResource {
  /** The node names, in rollout order. */
  public readonly nodes: string[];

  /**
   * @param name Pulumi resource name of the fleet.
   * @param args The nodes and the rollout.
   * @param callback Declares one node's resources; called once per node, in order. Pass `node.opts` to each resource.
   * @param opts Pulumi resource options of the fleet component.
   */
  constructor(name: string, args: FleetArgs, callback: (node: FleetNode) => void, opts?: pulumi.ComponentResourceOptions) {
    validate(name, args, callback);
    super("haproxy:index:Fleet", name, {}, opts);
    const rollout = args.rollout ?? {};
    const sequential = (rollout.order ?? "sequential") === "sequential";
    const batchSize = rollout.maxUnavailable ?? 1;
    const hc = rollout.healthCheck;
    this.nodes = args.nodes.map((n) => n.name);

    // What the next batch waits for: the gates of the batch before it (or its node components, without a health
    // check: a component dependency waits for all the resources under it).
    let previousBatch: pulumi.Resource[] = [];
    let currentBatch: pulumi.Resource[] = [];
    args.nodes.forEach((n, index) => {
      if (sequential && index > 0 && index % batchSize === 0) [previousBatch, currentBatch] = [currentBatch, []];
      const waitFor = sequential ? previousBatch : [];
      const declared: Declared[] = [];
      // Secret as a whole: the URL and user are not secrets, but one value is simpler to keep out of every output.
      const connection = pulumi.secret(pulumi.output(Object.fromEntries(Object.entries({
        url: n.url, username: n.username ?? "admin", password: n.password ?? "", caCert: n.caCert, insecureSkipVerify: n.insecureSkipVerify,
      }).filter(([, v]) => v !== undefined))));
      // Legacy transformations (not `transforms`) because they run in this process at construction, on every
      // descendant, with the resource object at hand: the dynamic resources' props get the connection before they
      // are serialized, and a child of a user's own component inside the callback is reached too.
      const nodeComponent: FleetNodeComponent = new FleetNodeComponent(`haproxy:fleet:Node-${n.name}`, `${name}-${n.name}`, {}, {
        parent: this,
        transformations: [({ resource, type, name: childName, props, opts: childOpts }) => {
          // Runs for the node component itself too, and for the gate, which is wired by hand below. (A component
          // of the user's inside the callback is treated like a resource: waiting and being fingerprinted is
          // harmless for it, and during a transformation a resource cannot yet tell custom from component:
          // CustomResource.isInstance is false until its constructor has returned.)
          if (resource instanceof FleetNodeComponent || type === GATE_TYPE) return undefined;
          const { __provider: _p, connection: own, ...declaredProps } = props as Record<string, unknown>;
          declared.push({ type, name: childName, props: declaredProps });
          let newProps = props;
          if (type.startsWith(PACKAGE_PREFIX)) {
            if (own !== undefined) {
              throw new Error(`Fleet "${name}" node "${n.name}": ${type.slice(PACKAGE_PREFIX.length)} "${childName}" gives its own \`connection\`; ` +
                "the resources of a Fleet node use the node's (remove `connection`, or declare the resource outside the Fleet)");
            }
            newProps = { ...props, connection };
          }
          return { props: newProps, opts: { ...childOpts, dependsOn: withDependsOn(childOpts.dependsOn, waitFor) } };
        }],
      });
      callback({ name: n.name, index, opts: { parent: nodeComponent } });
      nodeComponent.finish();

      const template = n.healthCheckUrl ?? hc?.url;
      let barrier: pulumi.Resource = nodeComponent;
      // Sequential without a health check still gets a gate (a barrier with no URL): depending on the node
      // component would make every resource of the next node list each resource of this one in its state.
      if (template || sequential) {
        barrier = new HealthGate(`${n.name}-health`, {
          node: n.name,
          url: template ? healthCheckUrlFor(template, n.name) : undefined,
          expectStatus: hc?.expectStatus ?? 200,
          timeoutSeconds: hc?.timeoutSeconds ?? 30,
          headers: hc?.headers ?? {},
          fingerprint: fingerprintOf(declared),
        }, {
          parent: nodeComponent,
          // The node component stands for everything under it (the SDK leaves the gate itself out), so the gate
          // runs after all of this node's changes; waitFor keeps a node with no resources in its place too.
          dependsOn: [nodeComponent, ...waitFor],
        });
      }
      currentBatch.push(barrier);
    });
    this.registerOutputs({ nodes: this.nodes });
  }
}
