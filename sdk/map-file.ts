import * as pulumi from "@pulumi/pulumi";
import type { MapEntry } from "../provider/resources/map-file";
import { dynamicProvider, hasType, withSecretOutputs } from "./provider";
import type { Connection, Inputs } from "./inputs";

export type { MapEntry } from "../provider/resources/map-file";

/** Inputs of a {@link MapFile}. */
export interface MapFileArgs {
  /** File name in DPAPI map storage, e.g. `hosts.map` (letters, digits, `-`, `_`, ending in `.map`). Defaults to the resource name plus `.map`. Changing it replaces the map. */
  name?: pulumi.Input<string>;
  /**
   * Key → value. As an object, order does not matter and the file lists keys sorted (fine for `map`, `map_str`,
   * `map_ip`, `map_beg`). As an array of `{ key, value }`, the array order is the file order, for first-match
   * lookups (`map_reg`, `map_sub`, `map_end`, `map_dom`, ...). Keys and values contain no whitespace. Give `entries`
   * or `contents`; with neither, the map is empty.
   */
  entries?: pulumi.Input<Record<string, pulumi.Input<string>> | pulumi.Input<Inputs<MapEntry>>[]>;
  /** Raw file contents (one `key value` per line, `#` comments allowed) instead of `entries`; kept verbatim. */
  contents?: pulumi.Input<string>;
  /** Take over an existing map file of this name instead of failing with "already exists". Default: false. */
  adopt?: pulumi.Input<boolean>;
  /** This map's Data Plane API, when not the stack's `haproxy-dataplane:*` config. Stored as a secret. */
  connection?: pulumi.Input<Inputs<Connection>>;
}

/**
 * A map file in the Data Plane API's map storage: a routing table, feature flags, rate-limit tiers.
 * While HAProxy has it loaded (haproxy.cfg references `path` and HAProxy reloaded since), entry changes
 * go through HAProxy's runtime API with no reload, and the file is rewritten too so they survive the next one.
 * Otherwise the stored file is replaced.
 *
 * ## Example usage
 * ```ts
 * import * as haproxy from "pulumi-haproxy-dataplane";
 *
 * const hosts = new haproxy.MapFile("hosts", {
 *   name: "hosts.map",
 *   entries: { "api.example.com": "api", "www.example.com": "web" },
 * });
 * new haproxy.Frontend("web", {
 *   binds: [{ address: "0.0.0.0", port: 80 }],
 *   routes: [{ backend: pulumi.interpolate`%[req.hdr(host),lower,map(${hosts.path},web)]` }],
 *   defaultBackend: "web",
 * });
 * ```
 */
export class MapFile extends pulumi.dynamic.Resource {
  /** Pulumi type token of this resource, `pulumi-nodejs:dynamic/haproxy:MapFile`. It never changes once released: state refers to it. */
  static readonly __pulumiType = "pulumi-nodejs:dynamic/haproxy:MapFile";
  /** Whether `obj` is a MapFile, by its type token rather than its prototype, so it holds across several loaded copies of this package. */
  static override isInstance(obj: unknown): obj is MapFile {
    return hasType(obj, MapFile.__pulumiType);
  }

  /** File name in DPAPI map storage. */
  declare public readonly name: pulumi.Output<string>;
  /** The entries, as declared. */
  declare public readonly entries: pulumi.Output<Record<string, string> | MapEntry[] | undefined>;
  /** The raw contents, when declared that way. */
  declare public readonly contents: pulumi.Output<string | undefined>;
  /** Absolute path of the file: reference it in haproxy.cfg as `map(<path>)`. */
  declare public readonly path: pulumi.Output<string>;

  /**
   * @param name Pulumi resource name; the file is named after it (plus `.map`) unless `args.name` is given.
   * @param args The map's inputs.
   * @param opts Pulumi resource options.
   */
  constructor(name: string, args: MapFileArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super(dynamicProvider("map-file"), name,
      { ...args, name: args.name ?? (name.endsWith(".map") ? name : `${name}.map`), connection: args.connection && pulumi.secret(args.connection), path: undefined },
      withSecretOutputs(opts),
      "haproxy", "MapFile");
  }
}
