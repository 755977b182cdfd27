// Canary release: the stable and the canary version run side by side as two
// backends, and a split route sends `canaryWeight` percent of app.example.com to
// the canary. Promoting is `pulumi config set canaryWeight 50 && pulumi up`: the
// weights change through HAProxy's runtime API, with no reload.
import * as pulumi from "@pulumi/pulumi";
import * as haproxy from "pulumi-haproxy-dataplane";

const config = new pulumi.Config();
const host = config.get("host") ?? "app.example.com";
const canaryWeight = config.getNumber("canaryWeight") ?? 0;
if (!Number.isInteger(canaryWeight) || canaryWeight < 0 || canaryWeight > 100) {
  throw new Error(`config "canaryWeight" must be an integer from 0 to 100, not ${JSON.stringify(canaryWeight)}`);
}

/** A version of the application: one backend with its servers ("<address>:<port>" list in config). */
function version(name: string, addressesKey: string): haproxy.Backend {
  const servers = config.require(addressesKey).split(",").map((hostPort, i) => {
    const [address, port] = hostPort.trim().split(":");
    return { name: `${name}-${i + 1}`, address, port: Number(port), check: true };
  });
  return new haproxy.Backend(name, { name, mode: "http", balance: { algorithm: "roundrobin" }, servers });
}

const stable = version("app-stable", "stableAddresses");
const canary = version("app-canary", "canaryAddresses");

const web = new haproxy.Frontend("web", {
  mode: "http",
  binds: [{ address: config.get("listenAddress") ?? "0.0.0.0", port: config.getNumber("port") ?? 80 }],
  acls: [{ name: "host_app", criterion: "hdr(host)", value: host }],
  routes: [{
    if: "host_app",
    split: [{ backend: stable.name, weight: 100 - canaryWeight }, { backend: canary.name, weight: canaryWeight }],
  }],
  defaultBackend: stable.name,
});

export const canaryPercent = canaryWeight;
export const frontend = web.name;
