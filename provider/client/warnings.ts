// Warnings a user must see once per process: a connection that weakens TLS or sends the password in clear
// text. The client knows nothing of Pulumi, so the provider points the sink at Pulumi's log.
let sink: (message: string) => void = (message) => { process.stderr.write(`warning: ${message}\n`); };
const said = new Set<string>();

export function setWarningSink(next: (message: string) => void): void {
  sink = next;
}

export function warnOnce(message: string): void {
  if (said.has(message)) return;
  said.add(message);
  sink(message);
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** What a connection's settings risk, one sentence each (none for https with verification, or loopback http). */
export function connectionRisks(conn: { url: string; password: string; insecureSkipVerify: boolean }): string[] {
  const url = new URL(conn.url);
  const out: string[] = [];
  if (conn.insecureSkipVerify && url.protocol === "https:") {
    out.push(`TLS verification is off for the Data Plane API at ${url.origin} (haproxy-dataplane:insecureSkipVerify): ` +
      `anything on the path can read the password and rewrite HAProxy; give haproxy-dataplane:caCert instead`);
  }
  if (url.protocol === "http:" && conn.password !== "" && !LOOPBACK.test(url.hostname)) {
    out.push(`the Data Plane API password travels in clear text to ${url.origin} (http:// to a host that is not loopback); ` +
      `serve the API over https and use an https:// URL`);
  }
  return out;
}
