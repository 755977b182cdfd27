// HTTPS at the edge, declared: a certificate in the Data Plane API's storage, a
// frontend with a plain and a TLS bind, an HTTP -> HTTPS redirect, and a route
// that sends /api to its own backend. HAProxy checks the frontend at preview.
import * as pulumi from "@pulumi/pulumi";
import * as haproxy from "pulumi-haproxy-dataplane";

const config = new pulumi.Config();
const httpPort = config.getNumber("httpPort") ?? 80;
const httpsPort = config.getNumber("httpsPort") ?? 443;
const upstreams = config.requireObject<{ site: number; api: number }>("upstreamPorts");

const cert = new haproxy.Certificate("site", {
  name: "site.pem",
  certificate: config.require("certificate"),
  privateKey: config.requireSecret("privateKey"),
});

const site = new haproxy.Backend("site", {
  balance: { algorithm: "roundrobin" },
  servers: [{ name: "site-1", address: "127.0.0.1", port: upstreams.site }],
});
const api = new haproxy.Backend("api", {
  balance: { algorithm: "roundrobin" },
  servers: [{ name: "api-1", address: "127.0.0.1", port: upstreams.api }],
});

const edge = new haproxy.Frontend("edge", {
  mode: "http",
  binds: [
    { address: "127.0.0.1", port: httpPort },
    { address: "127.0.0.1", port: httpsPort, ssl: { certificates: [cert.path], alpn: ["h2", "http/1.1"] } },
  ],
  acls: [{ name: "is_api", criterion: "path_beg", value: "/api" }],
  httpRequestRules: [
    { type: "redirect", redirect: { type: "scheme", value: "https", code: 301 }, unless: "{ ssl_fc }" },
    { type: "set-header", name: "X-Forwarded-Proto", value: "https", if: "{ ssl_fc }" },
  ],
  routes: [{ backend: api.name, if: "is_api" }],
  defaultBackend: site.name,
  forwardFor: true,
});

export const frontend = edge.name;
export const certificateFingerprint = cert.fingerprintSha256;
