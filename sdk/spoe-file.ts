import * as pulumi from "@pulumi/pulumi";
import { dynamicProvider, hasType, withSecretOutputs } from "./provider";
import type { Connection, Inputs } from "./inputs";

/** Inputs of a {@link SpoeFile}. */
export interface SpoeFileArgs {
  /** File name in DPAPI SPOE storage, e.g. `auth.conf` (letters, digits, `.`, `_`, `-`). Defaults to the resource name. Changing it replaces the file. */
  name?: pulumi.Input<string>;
  /**
   * The SPOE configuration, as HAProxy's SPOE documentation describes it: `[scope]` lines, then `spoe-agent`,
   * `spoe-message` and `spoe-group` sections. A Frontend filter names a scope as its `engine`.
   */
  contents: pulumi.Input<string>;
  /** Ask HAProxy to check the file during preview (default true; needs the Data Plane API reachable at preview). */
  validate?: pulumi.Input<boolean>;
  /** Take over an existing SPOE file of this name instead of failing with "already exists". Default: false. */
  adopt?: pulumi.Input<boolean>;
  /** This file's Data Plane API, when not the stack's `haproxy-dataplane:*` config. Stored as a secret. */
  connection?: pulumi.Input<Inputs<Connection>>;
}

/**
 * An SPOE configuration file in the Data Plane API's SPOE storage: it tells HAProxy which messages to send to
 * an external agent (a WAF, an authentication or rate-limit service) and when. A Frontend uses it with
 * `filters: [{ type: "spoe", engine: "<scope>", config: spoe.path }]`. During preview HAProxy itself checks
 * the file. A change to a file haproxy.cfg names reloads HAProxy; one still named cannot be deleted.
 *
 * ## Example usage
 * ```ts
 * const spoe = new haproxy.SpoeFile("auth", {
 *   name: "auth.conf",
 *   contents: [
 *     "[auth]",
 *     "spoe-agent auth-agent",
 *     "    messages check-request",
 *     "    option var-prefix auth",
 *     "    timeout hello 2s",
 *     "    timeout idle 2m",
 *     "    timeout processing 500ms",
 *     "    use-backend spoa-auth",
 *     "spoe-message check-request",
 *     "    args path=path",
 *     "    event on-frontend-http-request",
 *   ].join("\n") + "\n",
 * });
 * new haproxy.Frontend("web", {
 *   binds: [{ address: "0.0.0.0", port: 80 }],
 *   filters: [{ type: "spoe", engine: "auth", config: spoe.path }],
 *   httpRequestRules: [{ type: "deny", if: "{ var(sess.auth.denied) -m bool }" }],
 *   defaultBackend: "web",
 * });
 * ```
 */
export class SpoeFile extends pulumi.dynamic.Resource {
  /** Pulumi type token of this resource, `pulumi-nodejs:dynamic/haproxy:SpoeFile`. It never changes once released: state refers to it. */
  static readonly __pulumiType = "pulumi-nodejs:dynamic/haproxy:SpoeFile";
  /** Whether `obj` is a SpoeFile, by its type token rather than its prototype, so it holds across several loaded copies of this package. */
  static override isInstance(obj: unknown): obj is SpoeFile {
    return hasType(obj, SpoeFile.__pulumiType);
  }

  /** File name in DPAPI SPOE storage. */
  declare public readonly name: pulumi.Output<string>;
  /** The contents, as declared. */
  declare public readonly contents: pulumi.Output<string>;
  /** Absolute path of the stored file: a Frontend filter's `config`. */
  declare public readonly path: pulumi.Output<string>;

  /**
   * @param name Pulumi resource name; also the file's name unless `args.name` is given.
   * @param args The file's inputs.
   * @param opts Pulumi resource options.
   */
  constructor(name: string, args: SpoeFileArgs, opts?: pulumi.CustomResourceOptions) {
    super(dynamicProvider("spoe-file"), name,
      { ...args, name: args.name ?? name, connection: args.connection && pulumi.secret(args.connection), path: undefined, renderedDigest: undefined },
      withSecretOutputs(opts),
      "haproxy", "SpoeFile");
  }
}
