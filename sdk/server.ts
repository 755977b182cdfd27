import * as pulumi from "@pulumi/pulumi";
import type { ServerInputs } from "../provider/resources/server";
import { dynamicProvider, hasType, withSecretOutputs } from "./provider";
import type { Connection, Inputs } from "./inputs";

type S = ServerInputs;

/** One inline server of a {@link Backend}; the same fields as a {@link Server} without `backend`. */
export interface InlineServerArgs {
  /** Server name, unique in the backend. Servers are diffed by name. */
  name: pulumi.Input<string>;
  /** IP address or host name. Changed without a reload. */
  address: pulumi.Input<string>;
  /** TCP port, 1-65535. Changed without a reload. Default: none (HAProxy uses the port the client connected to). */
  port?: pulumi.Input<number>;
  /** Share of traffic, 0-256, relative to the other servers. Changed without a reload. Default: HAProxy's, 1. */
  weight?: pulumi.Input<number>;
  /** Health-check this server. A server with checks is added by a reload (HAProxy starts checks of runtime-added servers only on `enable health`). Default: false. */
  check?: pulumi.Input<boolean>;
  /** Milliseconds between health checks. Default: HAProxy's, 2000. */
  inter?: pulumi.Input<number>;
  /** Consecutive successful checks before the server is up. Default: HAProxy's, 2. */
  rise?: pulumi.Input<number>;
  /** Consecutive failed checks before the server is down. Default: HAProxy's, 3. */
  fall?: pulumi.Input<number>;
  /** Only used when every non-backup server is down. Default: false. */
  backup?: pulumi.Input<boolean>;
  /** In maintenance the server takes no traffic. Changed without a reload. Default: false. */
  maintenance?: pulumi.Input<boolean>;
  /** Draining: no new sessions, existing ones finish (weight 0). Changed without a reload. Default: false. */
  drain?: pulumi.Input<boolean>;
  /** Connect to the server over TLS. Default: false. */
  ssl?: pulumi.Input<boolean>;
  /** Verify the server certificate (with `ssl`): `none` or `required`. Default: HAProxy's, `required` unless the global `ssl-server-verify none`. */
  verify?: pulumi.Input<NonNullable<S["verify"]>>;
  /** SNI expression sent to the server (with `ssl`), e.g. `str(api.internal)`. Default: none. */
  sni?: pulumi.Input<string>;
  /** CA file used to verify the server certificate (with `ssl` and `verify: required`). */
  caFile?: pulumi.Input<string>;
  /** Maximum concurrent connections to this server. Default: no limit. */
  maxconn?: pulumi.Input<number>;
  /** Any other field of the DPAPI server model, snake_case. */
  extra?: pulumi.Input<NonNullable<S["extra"]>>;
}

/** Inputs of a {@link Server}: the same fields as an inline server, plus where it lives and how it is managed. */
export interface ServerArgs extends Omit<InlineServerArgs, "name"> {
  /** Name of the backend the server belongs to, e.g. `api.name`. Changing it replaces the server. */
  backend: pulumi.Input<string>;
  /** Server name. Defaults to the resource name. Changing it replaces the server. */
  name?: pulumi.Input<string>;
  /** Take over an existing server of this name instead of failing with "already exists". Default: false. */
  adopt?: pulumi.Input<boolean>;
  /** This server's Data Plane API, when not the stack's `haproxy-dataplane:*` config. Stored as a secret. */
  connection?: pulumi.Input<Inputs<Connection>>;
}

/**
 * A server of an HAProxy backend.
 *
 * ## Example usage
 * ```ts
 * const api = new haproxy.Backend("api", { balance: { algorithm: "roundrobin" } });
 * new haproxy.Server("api-1", { backend: api.name, address: "10.0.0.11", port: 8080, weight: 100, check: true });
 * ```
 */
export class Server extends pulumi.dynamic.Resource {
  /** Pulumi type token of this resource, `pulumi-nodejs:dynamic/haproxy:Server`. It never changes once released: state refers to it. */
  static readonly __pulumiType = "pulumi-nodejs:dynamic/haproxy:Server";
  /** Whether `obj` is a Server, by its type token rather than its prototype, so it holds across several loaded copies of this package. */
  static override isInstance(obj: unknown): obj is Server {
    return hasType(obj, Server.__pulumiType);
  }

  /** Name of the backend the server belongs to. */
  declare public readonly backend: pulumi.Output<string>;
  /** Server name in its backend. */
  declare public readonly name: pulumi.Output<string>;
  /** IP address or host name. */
  declare public readonly address: pulumi.Output<string>;
  /** TCP port, when declared. */
  declare public readonly port: pulumi.Output<number | undefined>;
  /** Share of traffic, 0-256, when declared. */
  declare public readonly weight: pulumi.Output<number | undefined>;
  /** Whether the server is in maintenance. */
  declare public readonly maintenance: pulumi.Output<boolean>;
  /** Whether the server is draining. */
  declare public readonly drain: pulumi.Output<boolean>;

  /**
   * @param name Pulumi resource name; also the server's name unless `args.name` is given.
   * @param args The server's inputs.
   * @param opts Pulumi resource options.
   */
  constructor(name: string, args: ServerArgs, opts?: pulumi.CustomResourceOptions) {
    super(dynamicProvider("server"), name,
      { ...args, name: args.name ?? name, connection: args.connection && pulumi.secret(args.connection) },
      withSecretOutputs(opts),
      "haproxy", "Server");
  }
}
