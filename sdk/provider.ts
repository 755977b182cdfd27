// The object Pulumi serializes into state as `__provider`: one module per kind of resource
// (provider/dynamic/<kind>), which Pulumi writes as a `require` of this package by name. It holds no client,
// no credential and no code of ours, and it is a line instead of kilobytes: the engine rewrites the whole
// state after every step, so a provider copied into each of 200 resources made every step pay for it.
import type * as pulumi from "@pulumi/pulumi";
import type { ResourceKind } from "../provider/dynamic/methods";

export type { ResourceKind } from "../provider/dynamic/methods";

/** The provider object of a kind: the module itself (the same object for every resource of the kind). */
export function dynamicProvider(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  return require(`../provider/dynamic/${kind}`) as pulumi.dynamic.ResourceProvider;
}

/** Resource options with the outputs Pulumi must store encrypted; a resource's own `connection` always is. */
export function withSecretOutputs(opts: pulumi.CustomResourceOptions | undefined, ...outputs: string[]): pulumi.CustomResourceOptions {
  return { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...outputs, "connection"] };
}

/** Type checks by token, not prototype, so they hold across several loaded copies of this package. */
export function hasType(obj: unknown, token: string): boolean {
  return (obj as { __pulumiType?: string } | undefined)?.__pulumiType === token;
}
