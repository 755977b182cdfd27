import * as pulumi from "@pulumi/pulumi";
import type { ConsulDiscoveryInputs, Watcher } from "../provider/resources/consul-discovery";
import { dynamicProvider, hasType, withSecretOutputs } from "./provider";
import type { Connection, Inputs } from "./inputs";

type C = ConsulDiscoveryInputs;

/** Inputs of a {@link ConsulDiscovery}. Field types come from the provider's zod schema. */
export interface ConsulDiscoveryArgs {
  /**
   * Host name or IP address of the Consul agent, as the Data Plane API reaches it (no scheme, no port).
   * Part of every backend name. Changing it replaces the discovery. This provider reads the catalog
   * at the same address to compute `backendNames`.
   */
  address: pulumi.Input<string>;
  /** HTTP(S) port of the Consul agent. Part of every backend name. Default 8500. Changing it replaces the discovery. */
  port?: pulumi.Input<number>;
  /** `http` (default) or `https` (system CAs, no client certificate). */
  scheme?: pulumi.Input<NonNullable<C["scheme"]>>;
  /**
   * Consul ACL token (service:read and node:read on the services to discover), sent as X-Consul-Token.
   * Always stored as a secret, even when passed as a plain string. Note that DPAPI itself keeps it in
   * plain text in its own storage (dataplaneapi.yaml for 2.x, `<dataplane_storage_dir>/service_discovery/consul.json` for 3.x).
   */
  token?: pulumi.Input<string>;
  /** Whether DPAPI polls Consul. Default true. Refresh reports false when DPAPI's watcher stalled (dataplaneapi#317); `up` restarts it. */
  enabled?: pulumi.Input<boolean>;
  /** Seconds between two polls by DPAPI (at least 1). Default 10. A registration reaches HAProxy after one or two polls plus DPAPI's reload delay. */
  retryTimeout?: pulumi.Input<number>;
  /** Only these services get a backend. Exclusive with `serviceDenylist`. Default: every service. */
  serviceAllowlist?: pulumi.Input<pulumi.Input<string>[]>;
  /** Every service but these gets a backend (never the `consul` service). Exclusive with `serviceAllowlist`. */
  serviceDenylist?: pulumi.Input<pulumi.Input<string>[]>;
  /** Only services whose name matches (Consul filter `ServiceName matches "<re>"`, RE2 syntax, no double quotes). Default: no filter. */
  serviceNameRegexp?: pulumi.Input<string>;
  /**
   * Which instances become servers: `none` (default, all), `any` (one passing check), `all` (every check passing),
   * `min` (at least `healthCheckPolicyMin` passing). Node checks such as serfHealth count, so `any` keeps an instance
   * whose own check fails while its node is healthy: use `all` to drop failing instances.
   */
  healthCheckPolicy?: pulumi.Input<NonNullable<C["healthCheckPolicy"]>>;
  /** Passing checks needed with `healthCheckPolicy: "min"` (required then, refused otherwise). At least 1. */
  healthCheckPolicyMin?: pulumi.Input<number>;
  /**
   * Server slots: `base` (default 10) lines per backend to start with and shrink back to, `growthType`
   * (`exponential`, the default, doubles; `linear` adds `increment`, default 10). DPAPI raises a base or an
   * increment under 10 to 10 (dataplaneapi#265), so values under 10 are rejected here rather than changed silently.
   * The growth type is always sent: DPAPI 2.x would default to linear and 3.x to exponential.
   */
  serverSlots?: pulumi.Input<Inputs<NonNullable<C["serverSlots"]>>>;
  /** Name of the defaults section the created backends inherit from (`from`). Default: DPAPI's (none). */
  defaults?: pulumi.Input<string>;
  /** Consul Enterprise namespace. Default: Consul's (`default`). */
  namespace?: pulumi.Input<string>;
  /** On `up`, wait until HAProxy runs every selected service's backend with the catalog's instances. Default false. */
  waitForBackends?: pulumi.Input<boolean>;
  /** Seconds `waitForBackends` waits before failing with a clear error. Default 60. */
  waitTimeout?: pulumi.Input<number>;
  /** This discovery's Data Plane API, when not the stack's `haproxy-dataplane:*` config. Stored as a secret. */
  connection?: pulumi.Input<Inputs<Connection>>;
}

/**
 * Points the Data Plane API at a Consul catalog: DPAPI then creates one backend per Consul
 * service, named `consul-backend-<address>-<port>-<service>`, and keeps its servers in step
 * with the service's instances (spare server slots wait in maintenance).
 *
 * ## Example usage
 * ```ts
 * import * as pulumi from "@pulumi/pulumi";
 * import * as haproxy from "pulumi-haproxy-dataplane";
 *
 * const config = new pulumi.Config();
 * const sd = new haproxy.ConsulDiscovery("consul", {
 *   address: "127.0.0.1", port: 8500,
 *   token: config.requireSecret("consulToken"),
 *   serviceAllowlist: ["web"],
 *   retryTimeout: 10,
 *   healthCheckPolicy: "all",
 *   waitForBackends: true,
 * });
 * // sd.backendNames → { web: "consul-backend-127.0.0.1-8500-web" }
 * export const webBackend = sd.backendNames.apply((n) => n.web);
 * ```
 *
 * Destroying the discovery stops the polling; DPAPI leaves the backends it made in haproxy.cfg.
 */
export class ConsulDiscovery extends pulumi.dynamic.Resource {
  /** Pulumi type token of this resource, `pulumi-nodejs:dynamic/haproxy:ConsulDiscovery`. It never changes once released: state refers to it. */
  static readonly __pulumiType = "pulumi-nodejs:dynamic/haproxy:ConsulDiscovery";
  /** Whether `obj` is a ConsulDiscovery, by its type token rather than its prototype, so it holds across several loaded copies of this package. */
  static override isInstance(obj: unknown): obj is ConsulDiscovery {
    return hasType(obj, ConsulDiscovery.__pulumiType);
  }

  /** For each service DPAPI follows, the name of its backend: `consul-backend-<address>-<port>-<service>`. Read from the catalog on create, update and refresh. */
  declare public readonly backendNames: pulumi.Output<Record<string, string>>;
  /** `running`, `stalled` (DPAPI stopped following the catalog; `up` restarts it) or `disabled`, as seen by the last create, update or refresh. */
  declare public readonly watcher: pulumi.Output<Watcher>;
  /** Consul address DPAPI polls. */
  declare public readonly address: pulumi.Output<string>;
  /** Consul port DPAPI polls. */
  declare public readonly port: pulumi.Output<number>;
  /** Whether DPAPI polls Consul. */
  declare public readonly enabled: pulumi.Output<boolean>;
  /** Seconds between two polls. */
  declare public readonly retryTimeout: pulumi.Output<number>;

  /**
   * @param name Pulumi resource name.
   * @param args The discovery's inputs.
   * @param opts Pulumi resource options.
   */
  constructor(name: string, args: ConsulDiscoveryArgs, opts?: pulumi.CustomResourceOptions) {
    super(dynamicProvider("consul-discovery"), name,
      {
        ...args,
        token: args.token === undefined ? undefined : pulumi.secret(args.token),
        connection: args.connection && pulumi.secret(args.connection),
        backendNames: undefined,
        watcher: undefined,
      },
      withSecretOutputs(opts, "token"),
      "haproxy", "ConsulDiscovery");
  }
}
