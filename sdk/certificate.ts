import * as pulumi from "@pulumi/pulumi";
import { dynamicProvider, hasType, withSecretOutputs } from "./provider";
import type { Connection, Inputs } from "./inputs";

/** Inputs of a {@link Certificate}. */
export interface CertificateArgs {
  /** File name in DPAPI SSL storage, e.g. `site.pem`. Defaults to the resource name plus `.pem`. Changing it replaces the certificate. */
  name?: pulumi.Input<string>;
  /** PEM of the certificate (intermediates may follow it, or go in `chain`). */
  certificate: pulumi.Input<string>;
  /** PEM of the intermediate certificates, the leaf's issuer first. Default: none (or those following `certificate`). */
  chain?: pulumi.Input<string>;
  /** PEM of the unencrypted private key. Always stored as a secret. */
  privateKey: pulumi.Input<string>;
  /** Upload a certificate that has already expired (refused by default). Default: false. */
  allowExpired?: pulumi.Input<boolean>;
  /** Take over an existing certificate file of this name instead of failing with "already exists". Default: false. */
  adopt?: pulumi.Input<boolean>;
  /** This certificate's Data Plane API, when not the stack's `haproxy-dataplane:*` config. Stored as a secret. */
  connection?: pulumi.Input<Inputs<Connection>>;
}

/**
 * A TLS certificate and its private key in the Data Plane API's SSL storage, for `bind ... ssl crt <path>`.
 * The PEM is checked before any request (it parses, the key matches, it has not expired). A new certificate
 * under the same name replaces the file in place: with DPAPI >= 3.2 HAProxy takes it through its runtime API
 * with no reload; older DPAPIs reload HAProxy, and the resource waits for that reload to succeed.
 *
 * ## Example usage
 * ```ts
 * import * as fs from "node:fs";
 * import * as pulumi from "@pulumi/pulumi";
 * import * as haproxy from "pulumi-haproxy-dataplane";
 *
 * const site = new haproxy.Certificate("site", {
 *   name: "site.pem",
 *   certificate: fs.readFileSync("site.crt", "utf8"),
 *   privateKey: pulumi.secret(fs.readFileSync("site.key", "utf8")),
 * });
 * // haproxy.cfg: bind :443 ssl crt <site.path>
 * export const expires = site.notAfter;
 * ```
 */
export class Certificate extends pulumi.dynamic.Resource {
  /** Pulumi type token of this resource, `pulumi-nodejs:dynamic/haproxy:Certificate`. It never changes once released: state refers to it. */
  static readonly __pulumiType = "pulumi-nodejs:dynamic/haproxy:Certificate";
  /** Whether `obj` is a Certificate, by its type token rather than its prototype, so it holds across several loaded copies of this package. */
  static override isInstance(obj: unknown): obj is Certificate {
    return hasType(obj, Certificate.__pulumiType);
  }

  /** File name in DPAPI SSL storage. */
  declare public readonly name: pulumi.Output<string>;
  /** PEM of the certificate. */
  declare public readonly certificate: pulumi.Output<string>;
  /** SHA-256 (hex) of the private key PEM; the key itself is never an output. */
  declare public readonly privateKeySha256: pulumi.Output<string>;
  /** Absolute path of the stored PEM: reference it as `crt <path>`. */
  declare public readonly path: pulumi.Output<string>;
  /** Subject distinguished name, e.g. `CN=www.example.com`. */
  declare public readonly subject: pulumi.Output<string>;
  /** Subject alternative names, e.g. `["DNS:www.example.com", "IP Address:10.0.0.1"]`. */
  declare public readonly sans: pulumi.Output<string[]>;
  /** Issuer distinguished name. */
  declare public readonly issuer: pulumi.Output<string>;
  /** Start of validity, ISO 8601. */
  declare public readonly notBefore: pulumi.Output<string>;
  /** End of validity, ISO 8601. */
  declare public readonly notAfter: pulumi.Output<string>;
  /** SHA-256 fingerprint, colon-separated hex. */
  declare public readonly fingerprintSha256: pulumi.Output<string>;
  /** Serial number, decimal. */
  declare public readonly serialNumber: pulumi.Output<string>;

  /**
   * @param name Pulumi resource name; the file is named after it (plus `.pem` when it has no extension) unless `args.name` is given.
   * @param args The certificate's inputs.
   * @param opts Pulumi resource options.
   */
  constructor(name: string, args: CertificateArgs, opts?: pulumi.CustomResourceOptions) {
    super(dynamicProvider("certificate"), name,
      {
        ...args,
        name: args.name ?? (/\.[A-Za-z0-9]+$/.test(name) ? name : `${name}.pem`),
        privateKey: pulumi.secret(args.privateKey),
        connection: args.connection && pulumi.secret(args.connection),
        privateKeySha256: undefined, path: undefined, subject: undefined, sans: undefined, issuer: undefined,
        notBefore: undefined, notAfter: undefined, fingerprintSha256: undefined, serialNumber: undefined,
      },
      withSecretOutputs(opts),
      "haproxy", "Certificate");
  }
}
