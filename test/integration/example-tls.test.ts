// examples/tls as a user runs it: HTTPS with the declared certificate (checked by
// its serial), the HTTP -> HTTPS redirect, and the /api route.
import { X509Certificate } from "node:crypto";
import { connect } from "node:tls";
import { request } from "node:https";
import type { Stack } from "@pulumi/pulumi/automation";
import { startBench, freePort, type Bench } from "../bench/bench";
import { exampleStack } from "../support/pulumi";
import { CertFactory } from "../support/haproxy-files";
import { startUpstream, type Upstream } from "../support/upstreams";
import { describeWith } from "../support/requires";

function presentedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, servername: "site.test", rejectUnauthorized: false }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial);
    });
    socket.on("error", reject);
  });
}

function httpsGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, servername: "site.test", rejectUnauthorized: false, headers: { connection: "close" } }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
    req.end();
  });
}

describeWith(["v3", "pulumi"], "examples/tls", () => {
  let bench: Bench; let ups: Upstream[]; let stack: Stack; let dispose: () => void;
  let httpPort: number; let httpsPort: number;
  const certs = new CertFactory();
  const site = certs.selfSigned("site.test");

  beforeAll(async () => {
    bench = await startBench({ dataplane: "v3" });
    ups = [await startUpstream("site"), await startUpstream("api")];
    httpPort = await freePort();
    httpsPort = await freePort();
    ({ stack, dispose } = await exampleStack("tls", bench, {
      "tls:upstreamPorts": { value: JSON.stringify({ site: ups[0].port, api: ups[1].port }) },
      "tls:httpPort": { value: String(httpPort) },
      "tls:httpsPort": { value: String(httpsPort) },
      "tls:certificate": { value: site.cert },
      "tls:privateKey": { value: site.key, secret: true },
    }));
  });
  afterAll(async () => {
    dispose?.();
    await bench?.stop();
    for (const u of ups ?? []) await u.close();
  });

  test("HTTPS presents the declared certificate, plain HTTP redirects to HTTPS, /api takes its route", async () => {
    await stack.up();
    expect(await presentedSerial(httpsPort)).toBe(new X509Certificate(site.cert).serialNumber);
    const plain = await fetch(`http://127.0.0.1:${httpPort}/x`, { redirect: "manual", headers: { connection: "close" } });
    expect(plain.status).toBe(301);
    // A scheme redirect keeps the request's Host (here 127.0.0.1:<http port>).
    expect(plain.headers.get("location")).toBe(`https://127.0.0.1:${httpPort}/x`);
    expect(await httpsGet(httpsPort, "/")).toBe("site");
    expect(await httpsGet(httpsPort, "/api/v1")).toBe("api");
    expect((await stack.preview()).changeSummary).toEqual({ same: 5 });
    await stack.destroy();
  });
});
