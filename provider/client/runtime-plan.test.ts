// Which writes may skip the reload: the rules a user would otherwise learn
// from a server that takes traffic unchecked or without its default-server options.
import { addServerEffect, runtimeFeasible, sections, setServerEffect } from "./runtime-plan";

const cfg = (defaultsExtra = "", backendExtra = "") => `# _version=3
global
  master-worker
defaults unnamed_defaults_1
  mode http
${defaultsExtra}
backend api from unnamed_defaults_1
  balance roundrobin
${backendExtra}
  server a 127.0.0.1:80 enabled
`;

describe("runtime plan", () => {
  test("sections reads headers and their lines, skipping comments", () => {
    expect(sections(cfg()).map((s) => `${s.keyword} ${s.name}`)).toEqual(["global ", "defaults unnamed_defaults_1", "backend api"]);
    expect(sections(cfg())[2].lines).toEqual(["balance roundrobin", "server a 127.0.0.1:80 enabled"]);
  });

  test("a server with health checks, or a field `add server` does not take, is added by a reload", () => {
    expect(addServerEffect("api", { name: "b", address: "127.0.0.1", port: 81, weight: 5, maintenance: "disabled" })).toMatchObject({ op: "add-server" });
    expect(addServerEffect("api", { name: "b", address: "127.0.0.1", port: 81, check: "enabled" })).toBeUndefined();
    expect(addServerEffect("api", { name: "b", address: "127.0.0.1", port: 81, cookie: "b1" })).toBeUndefined();
  });

  test("a default-server line in the backend or in defaults means a reload (runtime-added servers ignore it)", () => {
    const add = addServerEffect("api", { name: "b", address: "127.0.0.1", port: 81 })!;
    expect(runtimeFeasible(cfg(), [add])).toBe(true);
    expect(runtimeFeasible(cfg("  default-server inter 3s"), [add])).toBe(false);
    expect(runtimeFeasible(cfg("", "  default-server check"), [add])).toBe(false);
    expect(runtimeFeasible(cfg().replace("backend api", "backend other"), [add])).toBe(false);
  });

  test("on DPAPI v2, whose runtime add passes one option only, only plain servers are added at runtime", () => {
    const plain = addServerEffect("api", { name: "b", address: "127.0.0.1", port: 81, weight: 5, maintenance: "disabled" })!;
    const backup = addServerEffect("api", { name: "b", address: "127.0.0.1", port: 81, backup: "enabled" })!;
    expect(runtimeFeasible(cfg(), [plain], false)).toBe(true);
    expect(runtimeFeasible(cfg(), [backup], false)).toBe(false);
    expect(runtimeFeasible(cfg(), [backup], true)).toBe(true);
  });

  test("only weight, address, port and maintenance changes are runtime changes", () => {
    const prev = { name: "a", address: "127.0.0.1", port: 80, weight: 10, maintenance: "disabled" as const };
    expect(setServerEffect("api", { ...prev, weight: 20 }, prev)).toEqual({ op: "set-server", backend: "api", name: "a", weight: 20 });
    expect(setServerEffect("api", { ...prev, port: 81, maintenance: "enabled" }, prev))
      .toEqual({ op: "set-server", backend: "api", name: "a", address: "127.0.0.1", port: 81, state: "maint" });
    expect(setServerEffect("api", { ...prev, check: "enabled" }, prev)).toBeUndefined();
  });
});
