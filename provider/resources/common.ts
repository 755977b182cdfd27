// What every resource's life shares: the unknown-value sentinel of previews,
// check failures that name the resource and field, input-by-input diffs.
import { z } from "zod";
import { ConnectionSchema } from "../client/options";
import { DpapiError, isDpapiError, sameData } from "../client";

/** Pulumi passes values unknown during preview as this string, at any depth. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const STATE_VERSION = 1;

/**
 * What a resource stores as outputs: its inputs plus stateVersion, without
 * undefined anywhere (Pulumi's protobuf Struct rejects undefined values).
 */
export function toState<T extends object>(inputs: T): T & { stateVersion: number } {
  return JSON.parse(JSON.stringify({ ...inputs, stateVersion: STATE_VERSION }));
}

export const ResourceConnectionSchema = ConnectionSchema.pick({
  url: true, username: true, password: true, caCert: true, insecureSkipVerify: true,
}).describe("Data Plane API of this resource, when it differs from the stack's haproxy-dataplane:* config.");

export interface CheckFailure { property: string; reason: string }
export interface CheckResult<T> { inputs?: T; failures?: CheckFailure[] }
export interface DiffResult { changes?: boolean; replaces?: string[]; stables?: string[]; deleteBeforeReplace?: boolean }

function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v && typeof v === "object") return Object.values(v).some(containsUnknown);
  return false;
}

function unknownPaths(v: unknown, path: (string | number)[] = [], out: string[] = []): string[] {
  if (v === UNKNOWN) out.push(path.join("."));
  else if (Array.isArray(v)) v.forEach((x, i) => unknownPaths(x, [...path, i], out));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) unknownPaths(x, [...path, k], out);
  return out;
}

export function withoutProvider<T extends Record<string, unknown>>(inputs: T): Omit<T, "__provider"> {
  const { __provider: _, ...rest } = inputs;
  return rest;
}

/**
 * The inputs recorded in a state written by any release of this provider.
 * Migrations of older state shapes go here, keyed on stateVersion.
 */
export function inputsOfState(props: Record<string, unknown>): Record<string, unknown> {
  const { __provider: _p, stateVersion: _v, ...inputs } = props;
  return inputs;
}

/**
 * Validates inputs; failures name the resource, the field and what is allowed.
 * Fields that are unknown during preview are not validated.
 */
export function checkInputs<S extends z.ZodType>(kind: string, schema: S, news: Record<string, unknown>): CheckResult<Record<string, unknown>> {
  const inputs = withoutProvider(news);
  const unknown = unknownPaths(inputs);
  const result = schema.safeParse(inputs);
  if (result.success) return { inputs: { ...news, ...(result.data as object) } };
  const label = typeof inputs.name === "string" && inputs.name !== UNKNOWN ? `${kind} "${inputs.name}"` : kind;
  const failures = result.error.issues
    .filter((i) => {
      const p = i.path.join(".");
      return !unknown.some((u) => p === u || p.startsWith(u + ".") || u.startsWith(p + ".") && p !== "");
    })
    .map((i) => ({
      property: i.path.join(".") || "(inputs)",
      reason: `${label}: ${i.path.join(".") || "inputs"}: ${i.message}`,
    }));
  return failures.length ? { failures } : { inputs: news };
}

const same = sameData;

/** Input keys whose value differs between old state and new inputs; `__provider` never counts. */
export function changedInputs(keys: readonly string[], olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
  return keys.filter((k) => containsUnknown(news[k]) || !same(olds[k], news[k]));
}

export function diffInputs(keys: readonly string[], replaceKeys: readonly string[], olds: Record<string, unknown>, news: Record<string, unknown>): DiffResult {
  const changed = changedInputs(keys, olds, news);
  const replaces = changed.filter((k) => replaceKeys.includes(k));
  return { changes: changed.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 };
}



/** Drops keys with undefined values (DPAPI treats absent and null differently). */
export function compact<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Deletes what a resource manages. Already gone is done. A file haproxy.cfg
 * still uses fails naming the resource and what to remove first.
 */
export async function removeObject(label: string, del: () => Promise<unknown>, whenReferenced?: string): Promise<void> {
  try {
    await del();
  } catch (e) {
    if (isDpapiError(e, "DPAPI_NOT_FOUND")) return;
    if (whenReferenced && isDpapiError(e, "DPAPI_REFERENCED")) {
      throw new DpapiError({ code: "DPAPI_REFERENCED", method: e.method, path: e.path, status: e.status, dpapiMessage: e.dpapiMessage,
        message: `${label} cannot be deleted while haproxy.cfg uses it: ${e.dpapiMessage ?? e.message}`, hint: whenReferenced });
    }
    throw e;
  }
}
