import * as pulumi from "@pulumi/pulumi";
import type { FrontendInputs } from "../provider/resources/frontend";
import { dynamicProvider, hasType, withSecretOutputs } from "./provider";
import type { Connection, Inputs } from "./inputs";

type F = FrontendInputs;
type Each<T> = T extends readonly (infer U)[] ? U : never;
/** An object whose fields may each be an Input (nested objects too, one level). */
type Deep<T> = { [K in keyof T]: pulumi.Input<T[K] extends readonly unknown[] ? pulumi.Input<T[K][number]>[] : T[K]> };

type B = Each<F["binds"]>;
/** A bind: where the frontend listens, optionally with TLS. */
export interface BindArgs {
  /** Bind name, without whitespace. Default: `address:port`. */
  name?: pulumi.Input<string>;
  /** Address to listen on, e.g. 0.0.0.0. */
  address: pulumi.Input<string>;
  /** TCP port, 1-65535. */
  port: pulumi.Input<number>;
  /** Terminate TLS: `certificates` takes one path, e.g. a Certificate's `path`; `alpn` e.g. ["h2", "http/1.1"]. Default: no TLS. */
  ssl?: pulumi.Input<{
    /** Exactly one path of a PEM (certificate + key), e.g. a Certificate's `path`; for several, put a crt-list path in `extra.crt_list`. */
    certificates: pulumi.Input<pulumi.Input<string>[]>;
    /** ALPN protocols offered, e.g. ["h2", "http/1.1"]. Default: none. */
    alpn?: pulumi.Input<pulumi.Input<string>[]>;
  }>;
  /** Any other field of the DPAPI bind model (snake_case). */
  extra?: pulumi.Input<NonNullable<B["extra"]>>;
}
/** A named condition: `acl <name> <criterion> <value>`. */
export type AclArgs = Deep<Each<NonNullable<F["acls"]>>>;
/** One backend of a canary split and its relative weight (0 sends nothing there). */
export interface SplitArgs {
  /** A backend name (it must exist: `up` checks it). */
  backend: pulumi.Input<string>;
  /** Relative weight, a non-negative integer (90/10, or 1/1/2); 0 sends nothing there. The shares are rounded to steps of 1 %. */
  weight: pulumi.Input<number>;
}
/**
 * A route (`use_backend`): the first whose condition holds wins. It names one `backend`, or a `split` that sends
 * each request to one of several backends in proportion to their weights (steps of 1 %; a weight change reloads nothing).
 */
export interface RouteArgs {
  /** Backend to use: a name, or a `%[…]` expression such as a map lookup. Give this or `split`. */
  backend?: pulumi.Input<string>;
  /** Canary split: `[{ backend, weight }, …]`, 1 to 100 backends. Changing only weights reloads nothing. Give this or `backend`. */
  split?: pulumi.Input<pulumi.Input<SplitArgs>[]>;
  /** Use this route only if this HAProxy condition holds, e.g. `is_api` or `{ ssl_fc }`. Default: always. */
  if?: pulumi.Input<string>;
  /** Use this route only unless this condition holds. With `if`, it must be one term (an ACL name or `{ … }`). */
  unless?: pulumi.Input<string>;
}
/** An `http-request` / `http-response` rule; its fields may be Outputs, e.g. `file: page.path`. */
export type HttpRuleArgs = Deep<Each<NonNullable<F["httpRequestRules"]>>>;
/**
 * A filter: `{ type: "spoe", engine?, config }` (`config` e.g. a SpoeFile's `path`, `engine` its scope),
 * `{ type: "compression" }`, `{ type: "trace", name? }`, or any DPAPI filter as `{ type: "other", filter: { … } }`.
 */
export type FilterArgs = Deep<Each<NonNullable<F["filters"]>>>;
/** A `tcp-request` rule. */
export type TcpRuleArgs = Each<NonNullable<F["tcpRequestRules"]>>;

/** Inputs of a {@link Frontend}. */
export interface FrontendArgs {
  /** Frontend name in haproxy.cfg. Defaults to the resource name. Changing it replaces the frontend. */
  name?: pulumi.Input<string>;
  /** Proxy mode, `http` or `tcp`. Default: the mode of the defaults section. */
  mode?: pulumi.Input<NonNullable<F["mode"]>>;
  /** Where it listens: `{ address, port, name?, ssl?: { certificates: [cert.path], alpn? }, extra? }`. At least one. */
  binds: pulumi.Input<pulumi.Input<BindArgs>[]>;
  /** Named conditions, in order: `{ name, criterion, value? }`. Default: none. */
  acls?: pulumi.Input<pulumi.Input<AclArgs>[]>;
  /**
   * `http-request` rules, in order. Typed: set-header, add-header, del-header, redirect, deny, return, set-var,
   * replace-path, set-path, allow (`return` takes `content`, or `file`, e.g. a GeneralFile's `path`); any other DPAPI rule as `{ type: "other", rule: { … } }`. Each takes `if` / `unless`.
   * Default: none.
   */
  httpRequestRules?: pulumi.Input<pulumi.Input<HttpRuleArgs>[]>;
  /** `http-response` rules, in order, as `httpRequestRules`. Default: none. */
  httpResponseRules?: pulumi.Input<pulumi.Input<HttpRuleArgs>[]>;
  /** `tcp-request` rules, in order: `{ type: "inspect-delay", timeout }` (milliseconds), `{ type: "content", action: "accept", if }`, or `other`. Default: none. */
  tcpRequestRules?: pulumi.Input<pulumi.Input<TcpRuleArgs>[]>;
  /**
   * `use_backend` rules, in order: `{ backend, if?, unless? }`, where `backend` may be a `%[…]` expression (a map
   * lookup), or `{ split: [{ backend, weight }, …], if?, unless? }` for a canary split. Default: none.
   */
  routes?: pulumi.Input<pulumi.Input<RouteArgs>[]>;
  /**
   * Filters, in order: `{ type: "spoe", engine, config: spoe.path }` sends messages to an SPOE agent,
   * `{ type: "compression" }`, `{ type: "trace", name? }`, or `{ type: "other", filter: { … } }`. Default: none.
   */
  filters?: pulumi.Input<pulumi.Input<FilterArgs>[]>;
  /** Backend for what no route takes. Default: none (HAProxy answers 503). */
  defaultBackend?: pulumi.Input<string>;
  /** Timeouts in milliseconds: client, httpRequest, httpKeepAlive. Each unset one comes from the defaults section. */
  timeouts?: pulumi.Input<Inputs<NonNullable<F["timeouts"]>>>;
  /** `option forwardfor` (add X-Forwarded-For). Default: off (unless the defaults section sets it). */
  forwardFor?: pulumi.Input<boolean>;
  /** Maximum concurrent connections to this frontend. Default: HAProxy's (from the defaults section or `global`). */
  maxconn?: pulumi.Input<number>;
  /** Any other field of the DPAPI frontend model, snake_case; validated against it. */
  extra?: pulumi.Input<NonNullable<F["extra"]>>;
  /** Ask HAProxy to check the would-be configuration during preview (default true). */
  validate?: pulumi.Input<boolean>;
  /** Take over an existing frontend of this name: its lists become the declared ones. Default: false. */
  adopt?: pulumi.Input<boolean>;
  /** This frontend's Data Plane API, when not the stack's `haproxy-dataplane:*` config. Stored as a secret. */
  connection?: pulumi.Input<Inputs<Connection>>;
}

/**
 * An HAProxy frontend with everything it owns: binds, ACLs, rules and routes, in the declared order. During
 * `pulumi preview`, HAProxy itself checks the would-be configuration, and a rejection names the field.
 *
 * ## Example usage
 * ```ts
 * const web = new haproxy.Frontend("web", {
 *   mode: "http",
 *   binds: [{ address: "0.0.0.0", port: 80 }, { address: "0.0.0.0", port: 443, ssl: { certificates: [cert.path], alpn: ["h2", "http/1.1"] } }],
 *   acls: [{ name: "is_api", criterion: "path_beg", value: "/api" }],
 *   httpRequestRules: [{ type: "redirect", redirect: { type: "scheme", value: "https" }, unless: "{ ssl_fc }" }],
 *   routes: [{ backend: api.name, if: "is_api" }],
 *   defaultBackend: site.name,
 * });
 * ```
 */
export class Frontend extends pulumi.dynamic.Resource {
  /** Pulumi type token of this resource, `pulumi-nodejs:dynamic/haproxy:Frontend`. It never changes once released: state refers to it. */
  static readonly __pulumiType = "pulumi-nodejs:dynamic/haproxy:Frontend";
  /** Whether `obj` is a Frontend, by its type token rather than its prototype, so it holds across several loaded copies of this package. */
  static override isInstance(obj: unknown): obj is Frontend {
    return hasType(obj, Frontend.__pulumiType);
  }

  /** Frontend name in haproxy.cfg. */
  declare public readonly name: pulumi.Output<string>;
  /** Where it listens, as declared. */
  declare public readonly binds: pulumi.Output<F["binds"]>;
  /** `use_backend` routes, as declared. */
  declare public readonly routes: pulumi.Output<F["routes"]>;

  /**
   * @param name Pulumi resource name; also the frontend's name unless `args.name` is given.
   * @param args The frontend's inputs.
   * @param opts Pulumi resource options.
   */
  constructor(name: string, args: FrontendArgs, opts?: pulumi.CustomResourceOptions) {
    super(dynamicProvider("frontend"), name,
      { ...args, name: args.name ?? name, connection: args.connection && pulumi.secret(args.connection) },
      withSecretOutputs(opts),
      "haproxy", "Frontend");
  }
}
