// Filters of a proxy (`filter spoe`, `compression`, `trace`, ...), as declared and as DPAPI lists them.
// Frontend and Backend own their filter list the same way: replaced whole, in the declared order.
import { z } from "zod";
import { FilterSchema, type Filter } from "../client";
import { compact } from "./common";

const word = (what: string) => z.string().regex(/^[^\s]+$/, "must not contain whitespace").describe(what);

export const FilterInputSchema = z.discriminatedUnion("type", [
  z.strictObject({
    /** `spoe`: send messages to an SPOE agent, as an SPOE file describes. */
    type: z.literal("spoe"),
    /** The scope (`[name]`) of the SPOE file to use. Leave it out for a file without scopes. */
    engine: word("The scope (`[name]`) of the SPOE file to use.").optional(),
    /** Path of the SPOE file, e.g. a SpoeFile's `path`. */
    config: word("Path of the SPOE file, e.g. a SpoeFile's `path`."),
  }),
  z.strictObject({
    /** `compression`: compress responses as the `compression` directives say. */
    type: z.literal("compression"),
  }),
  z.strictObject({
    /** `trace`: log every filter callback (debugging). */
    type: z.literal("trace"),
    /** Name printed with the trace lines. */
    name: word("Name printed with the trace lines.").optional(),
  }),
  z.strictObject({
    /** `other`: any DPAPI filter, given in `filter`. */
    type: z.literal("other"),
    /** A DPAPI filter in its own field names (snake_case), e.g. `{ type: "cache", cache_name: "c" }`. */
    filter: FilterSchema.describe("A DPAPI filter in its own field names (snake_case)."),
  }),
]);

export type FilterInput = z.output<typeof FilterInputSchema>;

/** HAProxy allows one SPOE filter per engine in a proxy. */
export function spoeEnginesUnique(filters: FilterInput[], ctx: z.RefinementCtx): void {
  const engines = new Set<string>();
  filters.forEach((x, i) => {
    if (x.type !== "spoe") return;
    const key = x.engine ?? "";
    if (engines.has(key)) ctx.addIssue({ code: "custom", path: ["filters", i, "engine"], message: `two spoe filters use engine ${JSON.stringify(x.engine ?? "(none)")}; HAProxy allows one per proxy` });
    engines.add(key);
  });
}

export function filterToWire(f: FilterInput): Filter {
  switch (f.type) {
    case "spoe": return compact({ type: "spoe", spoe_engine: f.engine, spoe_config: f.config });
    case "compression": return { type: "compression" };
    case "trace": return compact({ type: "trace", trace_name: f.name });
    case "other": return f.filter;
  }
}

export function filterFromWire(w: Filter, like: FilterInput | undefined): FilterInput {
  if (like?.type === "other") return { type: "other", filter: w };
  if (w.type === "spoe" && w.spoe_config) return compact({ type: "spoe", engine: w.spoe_engine, config: w.spoe_config }) as FilterInput;
  if (w.type === "compression") return { type: "compression" };
  if (w.type === "trace") return compact({ type: "trace", name: w.trace_name }) as FilterInput;
  return { type: "other", filter: w };
}

