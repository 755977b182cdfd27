// How to reach one Data Plane API. One zod schema: the type, the defaults and
// the documentation of every option live here once.
import { z } from "zod";

export const ConnectionSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL, e.g. http://127.0.0.1:5555" })
    .describe("Base URL of the Data Plane API, without /v2 or /v3, e.g. http://127.0.0.1:5555."),
  username: z.string().min(1).describe("HTTP basic-auth user."),
  password: z.string().describe("HTTP basic-auth password. Never logged, never stored in plain text."),
  caCert: z.string().optional().describe("PEM of a CA that signs the API's TLS certificate."),
  clientCert: z.string().optional().describe("PEM client certificate for mutual TLS."),
  clientKey: z.string().optional().describe("PEM key of clientCert."),
  insecureSkipVerify: z.boolean().default(false).describe("Skip TLS verification (explicit opt-in). Default: false."),
  timeoutMs: z.number().int().positive().default(30_000).describe("Per-request timeout in milliseconds. Default: 30000."),
  reloadTimeoutMs: z.number().int().positive().default(60_000).describe("How long to wait for a reload to finish. Default: 60000."),
});

export type ConnectionInput = z.input<typeof ConnectionSchema>;
export type Connection = z.output<typeof ConnectionSchema>;
