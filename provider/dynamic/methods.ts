// The methods Pulumi's dynamic-provider host calls, for one kind of resource. Each loads the installed
// package's resource module by name when called (inside the provider process), so that what a state holds is
// a reference to this package, never a copy of its code: state written by one release is handled by whatever
// release is installed when it is read or deleted.
import type * as pulumi from "@pulumi/pulumi";

export type ResourceKind = "backend" | "server" | "frontend" | "map-file" | "certificate" | "consul-discovery" | "general-file" | "spoe-file" | "health-gate";

export function methodsFor(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  // By package name, not a relative path: a closure serialized by value (the package used from outside a
  // node_modules folder) runs inside Pulumi's provider host, where a relative require would not resolve.
  const resourceModule = `pulumi-haproxy-dataplane/provider/resources/${kind}`;
  return {
    async configure(req) { require("pulumi-haproxy-dataplane/provider/connection").configure(req.config); },
    async check(olds, news) { return require(resourceModule).check(olds, news); },
    async diff(id, olds, news) { return require(resourceModule).diff(id, olds, news); },
    async create(inputs) { return require(resourceModule).create(inputs); },
    async read(id, props) { return require(resourceModule).read(id, props); },
    async update(id, olds, news) { return require(resourceModule).update(id, olds, news); },
    async delete(id, props) { return require(resourceModule).remove(id, props); },
  };
}
