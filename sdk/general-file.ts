import * as pulumi from "@pulumi/pulumi";
import { dynamicProvider, hasType, withSecretOutputs } from "./provider";
import type { Connection, Inputs } from "./inputs";

/** Inputs of a {@link GeneralFile}. */
export interface GeneralFileArgs {
  /** File name in DPAPI general storage, e.g. `503.http` (letters, digits, `.`, `_`, `-`). Defaults to the resource name. Changing it replaces the file. */
  name?: pulumi.Input<string>;
  /** The file's contents, kept byte for byte. */
  contents: pulumi.Input<string>;
  /** Take over an existing file of this name instead of failing with "already exists". Default: false. */
  adopt?: pulumi.Input<boolean>;
  /** This file's Data Plane API, when not the stack's `haproxy-dataplane:*` config. Stored as a secret. */
  connection?: pulumi.Input<Inputs<Connection>>;
}

/**
 * Any file in the Data Plane API's general storage that haproxy.cfg names by path: an error page, a Lua
 * script, an ACL pattern file. HAProxy reads such files when it loads its configuration, so a change to
 * a file haproxy.cfg names reloads HAProxy; a change to one it does not name reloads nothing. A file still
 * named in haproxy.cfg cannot be deleted (the error names the line).
 *
 * ## Example usage
 * ```ts
 * const page = new haproxy.GeneralFile("maintenance", { name: "503.http", contents: "<h1>Back soon</h1>\n" });
 * new haproxy.Frontend("web", {
 *   binds: [{ address: "0.0.0.0", port: 80 }],
 *   httpRequestRules: [{ type: "return", status: 503, contentType: "text/html", file: page.path, if: "{ nbsrv(web) eq 0 }" }],
 *   defaultBackend: "web",
 * });
 * ```
 */
export class GeneralFile extends pulumi.dynamic.Resource {
  /** Pulumi type token of this resource, `pulumi-nodejs:dynamic/haproxy:GeneralFile`. It never changes once released: state refers to it. */
  static readonly __pulumiType = "pulumi-nodejs:dynamic/haproxy:GeneralFile";
  /** Whether `obj` is a GeneralFile, by its type token rather than its prototype, so it holds across several loaded copies of this package. */
  static override isInstance(obj: unknown): obj is GeneralFile {
    return hasType(obj, GeneralFile.__pulumiType);
  }

  /** File name in DPAPI general storage. */
  declare public readonly name: pulumi.Output<string>;
  /** The contents, as declared. */
  declare public readonly contents: pulumi.Output<string>;
  /** Absolute path of the stored file, for haproxy.cfg (e.g. a Frontend `return` rule's `file`). */
  declare public readonly path: pulumi.Output<string>;

  /**
   * @param name Pulumi resource name; also the file's name unless `args.name` is given.
   * @param args The file's inputs.
   * @param opts Pulumi resource options.
   */
  constructor(name: string, args: GeneralFileArgs, opts?: pulumi.CustomResourceOptions) {
    super(dynamicProvider("general-file"), name,
      { ...args, name: args.name ?? name, connection: args.connection && pulumi.secret(args.connection), path: undefined },
      withSecretOutputs(opts),
      "haproxy", "GeneralFile");
  }
}
