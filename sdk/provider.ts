// The object Pulumi serializes into state as `__provider`. It holds no client,
// no credential and no code of ours: each method loads the installed package
// by name inside the provider process, so state written by one release is
// handled by whatever release is installed when it is read or deleted.
import type * as pulumi from "@pulumi/pulumi";

export type ResourceKind = "backend" | "server" | "frontend" | "map-file" | "certificate" | "consul-discovery" | "general-file" | "spoe-file" | "health-gate";

const providers = new Map<ResourceKind, pulumi.dynamic.ResourceProvider>();

/**
 * One provider object per kind: Pulumi serializes a provider's closure once per
 * object (its cache is keyed by identity), so a new object per resource made
 * every registration pay for a serialization.
 */
export function dynamicProvider(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  let provider = providers.get(kind);
  if (!provider) providers.set(kind, (provider = makeProvider(kind)));
  return provider;
}

function makeProvider(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
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

/** Resource options with the outputs Pulumi must store encrypted; a resource's own `connection` always is. */
export function withSecretOutputs(opts: pulumi.CustomResourceOptions | undefined, ...outputs: string[]): pulumi.CustomResourceOptions {
  return { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...outputs, "connection"] };
}

/** Type checks by token, not prototype, so they hold across several loaded copies of this package. */
export function hasType(obj: unknown, token: string): boolean {
  return (obj as { __pulumiType?: string } | undefined)?.__pulumiType === token;
}
