// The pure parts of ConsulDiscovery: input checks (with DPAPI's coercions
// explained rather than applied behind the user's back), the wire shape, the
// same service and health filters as DPAPI, and what read reports for a token
// changed outside Pulumi.
import {
  ConsulDiscoveryInputsSchema, admitted, state, tokenDigest, backendName, check, diff, fromWire, serverKey, toWire, tracked,
} from "./consul-discovery";
import { UNKNOWN } from "./common";

const base = { address: "127.0.0.1" };
const failures = async (inputs: Record<string, unknown>) =>
  ((await check({}, inputs)).failures ?? []).map((f) => `${f.property}: ${f.reason}`);

describe("check", () => {
  test("fills the documented defaults", async () => {
    const r = await check({}, base);
    expect(r.failures).toBeUndefined();
    expect(r.inputs).toMatchObject({
      address: "127.0.0.1", port: 8500, scheme: "http", enabled: true, retryTimeout: 10, healthCheckPolicy: "none",
      serverSlots: { base: 10, growthType: "exponential", increment: 10 }, waitForBackends: false, waitTimeout: 60,
    });
  });

  test("rejects what DPAPI would silently change or refuse, naming the field and the rule", async () => {
    const f = await failures({ ...base, serverSlots: { base: 3, increment: 5 }, serviceAllowlist: ["a"], serviceDenylist: ["b"],
      healthCheckPolicy: "min", retryTimeout: 0 });
    expect(f).toEqual(expect.arrayContaining([
      expect.stringMatching(/^serverSlots\.base: ConsulDiscovery: serverSlots\.base: must be at least 10: DPAPI silently raises smaller values to 10/),
      expect.stringMatching(/^serverSlots\.increment: .*must be at least 10/),
      expect.stringMatching(/^serviceDenylist: .*not both/),
      expect.stringMatching(/^healthCheckPolicyMin: .*required with healthCheckPolicy "min"/),
      expect.stringMatching(/^retryTimeout: .*at least 1 second/),
    ]));
    expect(await failures({ ...base, healthCheckPolicyMin: 2 })).toEqual([expect.stringMatching(/only applies with healthCheckPolicy "min"/)]);
    expect(await failures({ ...base, serviceNameRegexp: "a\"b" })).toEqual([expect.stringMatching(/double quote/)]);
    expect(await failures({ ...base, serviceNameRegexp: "(" })).toEqual([expect.stringMatching(/valid regular expression/)]);
    expect(await failures({ address: "http://consul:8500" })).toEqual([expect.stringMatching(/^address: .*without scheme, port/)]);
    expect(await failures({ ...base, typo: 1 })).toEqual([expect.stringMatching(/typo/)]);
  });

  test("does not validate values unknown during preview", async () => {
    expect((await check({}, { address: UNKNOWN, port: UNKNOWN, token: UNKNOWN })).failures).toBeUndefined();
  });
});

describe("wire", () => {
  const d = (x: Record<string, unknown>) => ConsulDiscoveryInputsSchema.parse({ ...base, ...x });

  test("always sends the growth type (DPAPI 2.x defaults to linear, 3.x to exponential) and drops empty lists", () => {
    expect(toWire(d({ serviceAllowlist: [], token: "t" }))).toEqual({
      address: "127.0.0.1", port: 8500, enabled: true, retry_timeout: 10, mode: "http", token: "t", health_check_policy: "none",
      server_slots_base: 10, server_slots_growth_type: "exponential", server_slots_growth_increment: 10,
    });
    expect(toWire(d({ healthCheckPolicy: "min", healthCheckPolicyMin: 2 })).health_check_policy_min).toBe(2);
  });

  test("state keeps the token as its digest only, and a token changed in DPAPI diffs as a change", async () => {
    const old = d({ token: "mine" });
    const saved = state(old, {}, "running");
    expect(JSON.stringify(saved)).not.toContain("mine");
    expect(saved).toMatchObject({ tokenSha256: tokenDigest("mine") });
    const live = { ...toWire(old), token: "someone-elses" };
    const refreshed = state(fromWire(live, old), {}, "running");
    expect(JSON.stringify(refreshed)).not.toContain("someone-elses");
    expect((await diff("id", refreshed, { ...old })).changes).toBe(true);
    expect((await diff("id", saved, { ...old })).changes).toBe(false);
    expect(fromWire({ ...toWire(old), token: undefined }, old).token).toBeUndefined();
    // DPAPI 3.x drops the increment of an exponential definition, 2.x leaves out a "none" policy: no drift.
    const { server_slots_growth_increment: _i, health_check_policy: _p, ...sparse } = toWire(old);
    expect(fromWire(sparse, old)).toEqual(old);
  });

  test("backend names follow DPAPI: consul-backend-<consul address>-<consul port>-<service>", () => {
    expect(backendName({ address: "consul.internal", port: 8500 }, "web")).toBe("consul-backend-consul.internal-8500-web");
  });
});

describe("the same filters as DPAPI", () => {
  test("an allowlist wins; else the denylist drops; the consul service never gets a backend", () => {
    expect(tracked({ serviceAllowlist: ["a"] }, "a")).toBe(true);
    expect(tracked({ serviceAllowlist: ["a"], serviceDenylist: ["a"] }, "a")).toBe(true);
    expect(tracked({ serviceAllowlist: ["a"] }, "b")).toBe(false);
    expect(tracked({ serviceDenylist: ["b"] }, "b")).toBe(false);
    expect(tracked({}, "anything")).toBe(true);
    expect(tracked({}, "consul")).toBe(false);
  });

  test("health policies count every check (node checks too); no check at all fails any/all/min", () => {
    const e = (...s: string[]) => ({ Checks: s.map((Status) => ({ Status })) });
    expect(admitted(e(), "none")).toBe(true);
    expect(admitted(e(), "any")).toBe(false);
    expect(admitted(e(), "all")).toBe(false);
    expect(admitted(e("passing", "critical"), "any")).toBe(true);
    expect(admitted(e("passing", "critical"), "all")).toBe(false);
    expect(admitted(e("passing", "warning"), "all")).toBe(false);
    expect(admitted(e("passing", "passing", "critical"), "min", 2)).toBe(true);
    expect(admitted(e("passing", "critical"), "min", 2)).toBe(false);
  });

  test("a server is address:port, without a port when Consul has none", () => {
    expect(serverKey("10.0.0.1", 8080)).toBe("10.0.0.1:8080");
    expect(serverKey("10.0.0.1", 0)).toBe("10.0.0.1:");
  });
});

describe("diff", () => {
  const olds = { ...ConsulDiscoveryInputsSchema.parse({ ...base, token: "t" }), backendNames: {}, watcher: "running", stateVersion: 1 };

  test("ignores __provider and output-only fields; address and port replace the discovery", async () => {
    expect(await diff("id", olds, { ...ConsulDiscoveryInputsSchema.parse({ ...base, token: "t" }), __provider: "code" }))
      .toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(await diff("id", olds, { ...ConsulDiscoveryInputsSchema.parse({ ...base, token: "t", port: 8501 }) }))
      .toMatchObject({ changes: true, replaces: ["port"] });
    expect(await diff("id", olds, { ...ConsulDiscoveryInputsSchema.parse({ ...base, token: "t", retryTimeout: 2 }) }))
      .toMatchObject({ changes: true, replaces: [] });
  });

  test("a stalled watcher (read reports enabled: false) is an update that restarts it", async () => {
    expect(await diff("id", { ...olds, enabled: false, watcher: "stalled" }, ConsulDiscoveryInputsSchema.parse({ ...base, token: "t" })))
      .toMatchObject({ changes: true, replaces: [] });
  });
});
