import type * as pulumi from "@pulumi/pulumi";

/** Every field of T as a pulumi.Input. */
export type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/**
 * Where a resource's Data Plane API is and how to log in, when it is not the stack's `haproxy-dataplane:*` config.
 * Always stored as a secret.
 */
export interface Connection {
  /** Base URL of the Data Plane API, without `/v2` or `/v3`, e.g. http://127.0.0.1:5555. */
  url: string;
  /** HTTP basic-auth user. */
  username: string;
  /** HTTP basic-auth password; stored only as a secret. */
  password: string;
  /** PEM of a CA that signs the API's certificate. Default: the system CAs. */
  caCert?: string;
  /** Skip TLS verification (explicit opt-in). Default: false. */
  insecureSkipVerify?: boolean;
}
