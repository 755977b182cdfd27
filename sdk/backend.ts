import * as pulumi from "@pulumi/pulumi";
import type { BackendInputs } from "../provider/resources/backend";
import type { ServerFields } from "../provider/resources/server-options";
import type { InlineServerArgs } from "./server";
import type { FilterArgs } from "./frontend";
import { dynamicProvider, hasType, withSecretOutputs } from "./provider";
import type { Connection, Inputs } from "./inputs";

type B = BackendInputs;

/** Inputs of a {@link Backend}. Field types come from the provider's zod schema. */
export interface BackendArgs {
  /** Backend name in haproxy.cfg (letters, digits, `-_.:`). Defaults to the resource name. Changing it replaces the backend. */
  name?: pulumi.Input<string>;
  /** Proxy mode, `http` or `tcp`. Default: the mode of the defaults section. */
  mode?: pulumi.Input<NonNullable<B["mode"]>>;
  /** Load balancing, e.g. `{ algorithm: "roundrobin" }`. Default: HAProxy's (`roundrobin`, unless the defaults section says otherwise). */
  balance?: pulumi.Input<Inputs<NonNullable<B["balance"]>>>;
  /** HTTP health check (`option httpchk`): method (default GET), uri (default /), version. Servers need `check: true`. Default: none (a server with `check` gets a TCP connect check). */
  healthCheck?: pulumi.Input<Inputs<NonNullable<B["healthCheck"]>>>;
  /** Timeouts in milliseconds: connect, server, queue, tunnel, httpRequest, httpKeepAlive, check. Each unset one comes from the defaults section. */
  timeouts?: pulumi.Input<Inputs<NonNullable<B["timeouts"]>>>;
  /** Cookie persistence: name, type (insert, rewrite, prefix), indirect, nocache, httponly, secure. Default: none. */
  cookie?: pulumi.Input<Inputs<NonNullable<B["cookie"]>>>;
  /** `option forwardfor`: true, or { header, except, ifnone }. Default: off (unless the defaults section sets it). */
  forwardFor?: pulumi.Input<NonNullable<B["forwardFor"]>>;
  /** `default-server` options for every server of this backend (weight, check, inter in milliseconds, rise, fall, ssl, ...). Default: none. Servers are then added with a reload, never through the runtime API. */
  defaultServer?: pulumi.Input<Inputs<NonNullable<B["defaultServer"]>>>;
  /** Any other field of the DPAPI backend model, snake_case as in the DPAPI spec; validated against it. */
  extra?: pulumi.Input<NonNullable<B["extra"]>>;
  /**
   * Servers managed with this backend as one resource, as a list with unique names: created in the backend's
   * transaction (one reload for the backend and all its servers), diffed by name in `pulumi preview --diff`,
   * weight/address/port/maintenance/drain changes applied without a reload. Servers not listed are left alone. Default: none.
   */
  servers?: pulumi.Input<pulumi.Input<InlineServerArgs>[]>;
  /**
   * Filters, in order, as a Frontend's: `{ type: "spoe", engine, config: spoe.path }`, `{ type: "compression" }`,
   * `{ type: "trace", name? }`, `{ type: "other", filter: { … } }`. Default: the backend's filters are left as they are.
   */
  filters?: pulumi.Input<pulumi.Input<FilterArgs>[]>;
  /** Take over an existing backend of this name instead of failing with "already exists". Default: false. */
  adopt?: pulumi.Input<boolean>;
  /** This backend's Data Plane API, when not the stack's `haproxy-dataplane:*` config. Stored as a secret. */
  connection?: pulumi.Input<Inputs<Connection>>;
}

/**
 * An HAProxy backend, managed through the Data Plane API.
 *
 * ## Example usage
 * ```ts
 * import * as haproxy from "pulumi-haproxy-dataplane";
 *
 * const api = new haproxy.Backend("api", {
 *   mode: "http",
 *   balance: { algorithm: "roundrobin" },
 *   healthCheck: { method: "GET", uri: "/healthz" },
 * });
 * new haproxy.Server("api-1", { backend: api.name, address: "10.0.0.11", port: 8080, weight: 100, check: true });
 *
 * // Or the backend with its servers as one resource (fastest: one transaction, one reload):
 * new haproxy.Backend("web", {
 *   balance: { algorithm: "roundrobin" },
 *   servers: [
 *     { name: "web-1", address: "10.0.0.21", port: 8080, weight: 100 },
 *     { name: "web-2", address: "10.0.0.22", port: 8080, weight: 100 },
 *   ],
 * });
 * ```
 */
export class Backend extends pulumi.dynamic.Resource {
  /** Pulumi type token of this resource, `pulumi-nodejs:dynamic/haproxy:Backend`. It never changes once released: state refers to it. */
  static readonly __pulumiType = "pulumi-nodejs:dynamic/haproxy:Backend";
  /** Whether `obj` is a Backend, by its type token rather than its prototype, so it holds across several loaded copies of this package. */
  static override isInstance(obj: unknown): obj is Backend {
    return hasType(obj, Backend.__pulumiType);
  }

  /** Backend name in haproxy.cfg. */
  declare public readonly name: pulumi.Output<string>;
  /** Proxy mode. */
  declare public readonly mode: pulumi.Output<B["mode"]>;
  /** Load balancing, as declared. */
  declare public readonly balance: pulumi.Output<B["balance"]>;
  /** HTTP health check, as declared. */
  declare public readonly healthCheck: pulumi.Output<B["healthCheck"]>;
  /** Timeouts in milliseconds, as declared. */
  declare public readonly timeouts: pulumi.Output<B["timeouts"]>;
  /** Inline servers by name (the state keys them by name so diffs name the server). */
  declare public readonly servers: pulumi.Output<Record<string, Omit<ServerFields, "name">> | undefined>;

  /**
   * @param name Pulumi resource name; also the backend's name unless `args.name` is given.
   * @param args The backend's inputs.
   * @param opts Pulumi resource options.
   */
  constructor(name: string, args: BackendArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super(dynamicProvider("backend"), name,
      { ...args, name: args.name ?? name, connection: args.connection && pulumi.secret(args.connection) },
      withSecretOutputs(opts),
      "haproxy", "Backend");
  }
}
