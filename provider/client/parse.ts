// Every response is parsed at the boundary; a shape we do not expect is an
// error that says what was expected, not a crash later in a resource.
import type { z } from "zod";
import { DpapiError } from "./errors";

export function parseJson(text: string): unknown {
  if (text.trim() === "") return null;
  try { return JSON.parse(text); } catch { return text; }
}

export function parseValue<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new DpapiError({
      code: "DPAPI_BAD_RESPONSE",
      message: `the Data Plane API answered a ${what} this client does not understand: ${r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
      hint: "this DPAPI version may be newer than this provider supports; please report it",
    });
  }
  return r.data;
}

export function parseAs<S extends z.ZodType>(schema: S, text: string, what: string): z.output<S> {
  return parseValue(schema, parseJson(text), what);
}

/** Equal as data: key order and undefined fields do not count (DPAPI answers keys in its own order). */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === undefined || a === null) return b === undefined || b === null;
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, sortKeys(x)]));
  }
  return v;
}
