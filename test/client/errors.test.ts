// How DPAPI answers become errors a person can act on (no bench needed).
import { createServer } from "node:http";
import { connect, errorFromResponse, isDpapiError } from "../../provider/client";

describe("errorFromResponse", () => {
  test.each([
    [401, { code: 401, message: "invalid password: hunter2" }, "DPAPI_AUTH", /refused the credentials/],
    [404, { code: 404, message: "missing object: Backend x does not exist" }, "DPAPI_NOT_FOUND", /Backend x does not exist/],
    [409, { code: 409, message: "version mismatch: version in configuration file is 7, given version is 6" }, "DPAPI_VERSION_CONFLICT", /version mismatch/],
    [409, { code: 409, message: "Backend api already exists" }, "DPAPI_EXISTS", /adopt: true/],
    [409, { code: 409, message: "rejecting attempt to delete file /m/hosts.map referenced in haproxy conf at line 12" }, "DPAPI_REFERENCED", /line 12/],
    [406, { code: 406, message: "transaction x is outdated and cannot be committed" }, "DPAPI_TXN_OUTDATED", /outdated/],
    // Another client's commit moved our transaction aside; a write into it answers 400 (seen on v2 with two stacks).
    [400, { code: 400, message: "transaction does not exist: 2288e13f" }, "DPAPI_TXN_OUTDATED", /outdated/],
    [429, { code: 429, message: "cannot start a new transaction" }, "DPAPI_TOO_MANY_TXNS", /max_open_transactions/],
    // ...and a raw GET of it answers 500 for the file DPAPI moved to outdated/ (v2, four racing stacks, CI).
    [500, { code: 500, message: "failed to read configuration: open /tmp/haproxy-bench-foYb1e/transactions/haproxy.cfg.67915b53-8bda-48b5-87ae-a2b53fe5aeb3: no such file or directory" }, "DPAPI_TXN_OUTDATED", /outdated/],
    [500, { code: 500, message: "failed to read configuration: open /etc/haproxy/haproxy.cfg: no such file or directory" }, "DPAPI_HTTP", /unexpected answer 500/],
    [400, { code: 400, message: "validation error: [ALERT] parsing [haproxy.cfg:20]" }, "DPAPI_VALIDATION", /parsing \[haproxy\.cfg:20\]/],
    [422, { code: 606, message: "mode in body should be one of [http tcp log]" }, "DPAPI_VALIDATION", /should be one of/],
    [500, { code: 500, message: "boom" }, "DPAPI_HTTP", /unexpected answer 500: boom/],
  ])("%i %j → %s", (status, body, code, message) => {
    const e = errorFromResponse("POST", "/v3/x", status, body, "http://h:5555");
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(e.status).toBe(status);
    expect(isDpapiError(e, code as never)).toBe(true);
  });

  test("the DPAPI's own 401 text, which quotes the password, is never repeated", () => {
    const e = errorFromResponse("GET", "/v3/info", 401, { code: 401, message: "invalid password: hunter2" }, "http://h:5555");
    expect(`${e.message} ${e.dpapiMessage ?? ""} ${e.hint}`).not.toContain("hunter2");
  });
});

test("an endpoint that is not a Data Plane API: 'generation unsupported' with what to do", async () => {
  // A fake server for this one rare path: it answers 404 to everything.
  const notDpapi = createServer((_req, res) => { res.statusCode = 404; res.end("not here"); });
  await new Promise<void>((r) => notDpapi.listen(0, "127.0.0.1", r));
  const port = (notDpapi.address() as { port: number }).port;
  try {
    const err = await connect({ url: `http://127.0.0.1:${port}`, username: "u", password: "p" }).catch((e) => e);
    expect(isDpapiError(err, "DPAPI_UNSUPPORTED")).toBe(true);
    expect(err.message).toMatch(/answers neither \/v3\/info nor \/v2\/info/);
  } finally {
    notDpapi.close();
  }
});
