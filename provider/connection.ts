// Where a resource's Data Plane API endpoint comes from: its own `connection`
// input, else stack config read in configure(), else environment variables
// (for CI). The password is read here and handed to the client, nowhere else.
import { connect, DpapiError, type ConnectionInput, type DataplaneClient } from "./client";

export const CONFIG_NAMESPACE = "haproxy-dataplane";

interface ConfigSource { get(key: string): string | undefined }

let stackConfig: Partial<Record<"url" | "username" | "password" | "caCert" | "insecureSkipVerify" | "timeoutMs", string>> = {};

/** Called by the dynamic provider's configure() with the stack's configuration. */
export function configure(config: ConfigSource): void {
  const read = (k: string) => config.get(`${CONFIG_NAMESPACE}:${k}`) || undefined;
  stackConfig = {
    url: read("url"), username: read("username"), password: read("password"),
    caCert: read("caCert"), insecureSkipVerify: read("insecureSkipVerify"), timeoutMs: read("timeoutMs"),
  };
}

export type ResourceConnection = Pick<ConnectionInput, "url" | "username" | "password" | "caCert" | "insecureSkipVerify">;

export function resolveConnection(own?: ResourceConnection): ConnectionInput {
  if (own) return own;
  const env = process.env;
  const url = stackConfig.url ?? env.HAPROXY_DATAPLANE_URL;
  if (!url) {
    throw new DpapiError({ code: "DPAPI_UNSUPPORTED", message: "no Data Plane API endpoint configured",
      hint: `run \`pulumi config set ${CONFIG_NAMESPACE}:url http://host:5555\` (or set HAPROXY_DATAPLANE_URL), or give the resource a \`connection\`` });
  }
  return {
    url,
    username: stackConfig.username ?? env.HAPROXY_DATAPLANE_USERNAME ?? "admin",
    password: stackConfig.password ?? env.HAPROXY_DATAPLANE_PASSWORD ?? "",
    caCert: stackConfig.caCert,
    insecureSkipVerify: (stackConfig.insecureSkipVerify ?? env.HAPROXY_DATAPLANE_INSECURE_SKIP_VERIFY) === "true",
    ...timeout(stackConfig.timeoutMs ?? env.HAPROXY_DATAPLANE_TIMEOUT_MS),
  };
}

/** A per-request timeout from config; anything but a positive integer is left to the connection schema to refuse. */
function timeout(value: string | undefined): { timeoutMs?: number } {
  if (value === undefined || value === "") return {};
  const n = Number(value);
  return { timeoutMs: Number.isFinite(n) ? n : NaN };
}

export function clientFor(own?: ResourceConnection): Promise<DataplaneClient> {
  return connect(resolveConnection(own));
}
