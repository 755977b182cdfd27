// The Pulumi engine's floor: dynamic resources that do nothing, through one
// provider object, in the shape of the measured program (`backends` parents
// with `servers` children each that wait for their parent's output), so a
// benchmark can tell the engine's own time from ours. With `inputs: program`
// each resource also takes the inputs the measured program writes (a backend's
// name and balance, a server's backend, name, address and port): what the
// engine carries for any provider of such a program.
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
const programInputs = config.get("inputs") === "program";
for (let i = 0; i < backends; i++) {
  const parent = new Noop(`be${i}`, programInputs ? { name: `be${i}`, balance: { algorithm: "roundrobin" } } : {});
  for (let j = 0; j < servers; j++) {
    new Noop(`be${i}-s${j}`, programInputs
      ? { backend: parent.id, name: `be${i}-s${j}`, address: "127.0.0.1", port: 8080 }
      : { parent: parent.id });
  }
}
