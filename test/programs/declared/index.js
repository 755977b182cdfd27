// A Pulumi program in a folder whose resources come from stack config, so one
// program serves every integration scenario. `{"$ref": "api.name"}` reads an
// output of a resource declared earlier; `{"$secretConfig": "key"}` a secret
// config value (a secret given inline with `{"$secret": x}` is in plain text in
// the `resources` config value itself); `{"$concat": [...]}` joins strings and outputs.
const pulumi = require("@pulumi/pulumi");
const haproxy = require("pulumi-haproxy-dataplane");

const config = new pulumi.Config();
const declared = config.requireObject("resources");
const made = {};

function resolve(v) {
  if (Array.isArray(v)) return v.map(resolve);
  if (v && typeof v === "object") {
    if (typeof v.$ref === "string") {
      const [res, prop] = v.$ref.split(".");
      return made[res][prop];
    }
    if (typeof v.$secret !== "undefined") return pulumi.secret(resolve(v.$secret));
    // Strings and outputs joined, as pulumi.interpolate does: {"$concat": ["%[map(", {"$ref": "hosts.path"}, ")]"]}.
    if (Array.isArray(v.$concat)) return pulumi.concat(...v.$concat.map(resolve));
    // A secret stack config value of this program, e.g. {"$secretConfig": "consulToken"}.
    if (typeof v.$secretConfig === "string") return config.requireSecret(v.$secretConfig);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
  }
  return v;
}

for (const r of declared) {
  made[r.name] = new haproxy[r.type](r.name, resolve(r.args ?? {}), resolve(r.opts ?? {}));
}

module.exports = Object.fromEntries(Object.entries(made).map(([k, r]) => [k, r.id]));
