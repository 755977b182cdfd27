// A Fleet program in a folder whose nodes, rollout and per-node resources come
// from stack config, so one program serves every fleet scenario:
//   nodes:     [{ name, url, username?, password?: {"$secretConfig": "lb1Password"}, healthCheckUrl? }]
//   rollout:   the Fleet's `rollout`, as JSON
//   resources: [{ type, name, args, opts }] declared on every node, as in test/programs/declared;
//              `{"$ref": "api.name"}` reads an output of a resource of the same node, `{"$node": true}`
//              is the node's name, and `{"$perNode": {"lb1": x, "lb2": y}}` a value that differs by node.
const pulumi = require("@pulumi/pulumi");
const haproxy = require("pulumi-haproxy-dataplane");

const config = new pulumi.Config();

function resolver(node, made) {
  const resolve = (v) => {
    if (Array.isArray(v)) return v.map(resolve);
    if (v && typeof v === "object") {
      if (typeof v.$ref === "string") {
        const [res, prop] = v.$ref.split(".");
        return made[res][prop];
      }
      if (v.$node === true) return node.name;
      if (v.$perNode && typeof v.$perNode === "object") return resolve(v.$perNode[node.name]);
      if (typeof v.$secretConfig === "string") return config.requireSecret(v.$secretConfig);
      if (Array.isArray(v.$concat)) return pulumi.concat(...v.$concat.map(resolve));
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
    }
    return v;
  };
  return resolve;
}

const nodes = config.requireObject("nodes").map((n) => resolver({ name: n.name }, {})(n));
const declared = config.getObject("resources") ?? [];
const ids = {};

const fleet = new haproxy.Fleet("edge", { nodes, rollout: config.getObject("rollout") }, (node) => {
  const made = {};
  const resolve = resolver(node, made);
  for (const r of declared) {
    made[r.name] = new haproxy[r.type](r.name, resolve(r.args ?? {}), { ...resolve(r.opts ?? {}), ...node.opts });
    ids[`${node.name}/${r.name}`] = made[r.name].id;
  }
});

module.exports = { nodes: fleet.nodes, ids };
