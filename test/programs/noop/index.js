// The Pulumi engine's floor: dynamic resources that do nothing, through one
// provider object, in the shape of the measured program (`backends` parents
// with `servers` children each that wait for their parent's output), so a
// benchmark can tell the engine's own time from ours.
const pulumi = require("@pulumi/pulumi");

const provider = {
  async create(inputs) { return { id: inputs.key, outs: inputs }; },
  async read(id, props) { return { id, props }; },
  async diff() { return { changes: false }; },
  async update(_id, _olds, news) { return { outs: news }; },
  async delete() {},
};

class Noop extends pulumi.dynamic.Resource {
  constructor(name, args) { super(provider, name, { ...args, key: name }, undefined, "haproxy", "Noop"); }
}

const config = new pulumi.Config();
const backends = Number(config.require("backends"));
const servers = Number(config.require("servers"));
for (let i = 0; i < backends; i++) {
  const parent = new Noop(`be${i}`, {});
  for (let j = 0; j < servers; j++) new Noop(`be${i}-s${j}`, { parent: parent.id });
}
