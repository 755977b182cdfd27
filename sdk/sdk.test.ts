// What the SDK classes register, through Pulumi's mocks (no engine): the type
// tokens that are part of the public interface and isInstance by token.
import * as pulumi from "@pulumi/pulumi";

const registered: Array<{ type: string; name: string; inputs: Record<string, unknown> }> = [];
pulumi.runtime.setMocks({
  newResource: (args) => { registered.push({ type: args.type, name: args.name, inputs: args.inputs }); return { id: `${args.name}-id`, state: args.inputs }; },
  call: () => ({}),
});

// Loaded after setMocks, as Pulumi requires.
const haproxy = require("./index") as typeof import("./index");

test("type tokens, isInstance by token, names defaulting to the resource name", async () => {
  const api = new haproxy.Backend("api", { balance: { algorithm: "roundrobin" } });
  const s1 = new haproxy.Server("api-1", { backend: api.name, address: "10.0.0.1", port: 8080 });
  await new Promise<void>((r) => pulumi.all([api.urn, s1.urn]).apply(() => r()));
  expect(registered.map((r) => r.type)).toEqual(["pulumi-nodejs:dynamic/haproxy:Backend", "pulumi-nodejs:dynamic/haproxy:Server"]);
  expect(registered[0].inputs.name).toBe("api");
  expect(haproxy.Backend.isInstance(api)).toBe(true);
  expect(haproxy.Backend.isInstance(s1)).toBe(false);
  expect(haproxy.Server.isInstance(s1)).toBe(true);
  expect(haproxy.Server.isInstance({ __pulumiType: "pulumi-nodejs:dynamic/haproxy:Backend" })).toBe(false);
});
