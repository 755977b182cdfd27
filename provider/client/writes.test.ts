// The write queue's pure rules. Which changes of a batch may be written into its transaction at once: only
// those that edit different sections, since DPAPI edits a server or list item at a position it looked up one
// step earlier. How long a reloading batch waits for companions: a few of the gaps the engine leaves between them.
import { dialects } from "./dialect";
import { groupBySection, longestGap, type ConfigWrite } from "./writes";

const { v2, v3 } = dialects;
const server = { name: "s1", address: "127.0.0.1", port: 80 };
const change = (...writes: ConfigWrite[]) => ({ writes });

describe("the section each dialect target names for grouping", () => {
  test.each([
    ["v3 backend create", "backends/api", { method: "POST", target: v3.backends("api"), body: { name: "api" } }],
    ["v2 backend create", "backends/api", { method: "POST", target: v2.backends("api"), body: { name: "api" } }],
    ["v3 backend delete", "backends/api", { method: "DELETE", target: v3.backend("api") }],
    ["v3 server", "backends/api", { method: "POST", target: v3.servers("api"), body: server }],
    ["v2 server", "backends/api", { method: "PUT", target: v2.server("api", "s1"), body: server }],
    ["v2 backend filter", "backends/api", { method: "POST", target: v2.backendFilter("api", 0), body: {} }],
    ["v3 frontend bind", "frontends/web", { method: "PUT", target: v3.bind("web", "b1"), body: {} }],
    ["v2 frontend bind", "frontends/web", { method: "PUT", target: v2.bind("web", "b1"), body: {} }],
    ["v2 switching rule", "frontends/web", { method: "POST", target: v2.frontendListItem("web", "backend_switching_rules", 2), body: {} }],
    ["v2 http-request rule", "frontends/web", { method: "POST", target: v2.frontendListItem("web", "http_request_rules", 0), body: {} }],
    ["a name that needs escaping", "backends/a b", { method: "DELETE", target: v3.backend("a b") }],
  ] as Array<[string, string, ConfigWrite]>)("%s edits %s", (_label, section, write) => {
    expect(write.target.section).toBe(section);
  });

  test("a bare collection names no section", () => {
    expect(v3.backends().section).toBeUndefined();
    expect(v2.frontends().section).toBeUndefined();
  });
});

describe("grouping a batch by section", () => {
  const api = change({ method: "POST", target: v3.backends("api"), body: { name: "api" } }, { method: "POST", target: v3.servers("api"), body: server });
  const web = change({ method: "POST", target: v3.backends("web"), body: { name: "web" } });
  const apiServer = change({ method: "DELETE", target: v3.server("api", "s0") });
  const db = change({ method: "PUT", target: v2.server("db", "s1"), body: server });

  test("changes to different sections go side by side; changes to one section stay together in arrival order", () => {
    expect(groupBySection([api, web, apiServer, db])).toEqual([[web], [api, apiServer], [db]]);
  });

  test("a change that spans two sections joins their groups, keeping arrival order", () => {
    const both = change({ method: "DELETE", target: v3.server("web", "w1") }, { method: "DELETE", target: v3.server("db", "d1") });
    expect(groupBySection([web, db, api, both])).toEqual([[api], [web, db, both]]);
  });

  test("one change the queue cannot place keeps the whole batch in one group, in order", () => {
    const global = change({ method: "PUT", target: { path: "/v3/services/haproxy/configuration/global" }, body: {} });
    expect(groupBySection([api, web, global, db])).toEqual([[api, web, global, db]]);
  });
});

describe("gaps between arrivals", () => {
  test("the longest gap among arrivals since the batch began waiting; older ones do not count", () => {
    // 100 and 180: arrived during the previous batch, 80 ms apart, before this one began waiting at 300.
    expect(longestGap([300, 302, 315, 180, 100, 320], 300)).toBe(13);
  });

  test("no gap when fewer than two arrivals, or none since the wait began", () => {
    expect(longestGap([300], 300)).toBeUndefined();
    expect(longestGap([100, 180], 300)).toBeUndefined();
  });
});
