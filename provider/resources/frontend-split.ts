// Canary splits: a route that sends each request to one of several backends in
// proportion to their weights, with weights HAProxy reads at runtime.
//
// A split route is one `use_backend %[rand(100),add(<offset>),map_int(<map>,<fallback>)]`:
// each request draws a bucket 0-99 and the frontend's split map names the backend
// of that bucket. A weight change rewrites only the buckets that change owner,
// through HAProxy's runtime API (no reload); each bucket flips atomically, so the
// share moves from the old split to the new one and never through another.
// The k-th split route of a frontend owns keys k*100 … k*100+99 of one map file.
import type { MapEntry } from "./map-file";

export const BUCKETS = 100;

export interface SplitPart { backend: string; weight: number }

/**
 * Buckets per part, in declared order: shares by largest remainder, and at least one bucket for
 * every positive weight (a 1-in-1000 canary still gets 1 % rather than nothing).
 */
export function allocate(parts: SplitPart[]): number[] {
  const total = parts.reduce((n, p) => n + p.weight, 0);
  if (total <= 0) return parts.map(() => 0);
  const exact = parts.map((p) => (p.weight * BUCKETS) / total);
  const counts = exact.map((x, i) => (parts[i].weight > 0 ? Math.max(1, Math.floor(x)) : 0));
  let left = BUCKETS - counts.reduce((n, c) => n + c, 0);
  const byRemainder = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).filter(({ i }) => parts[i].weight > 0).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let j = 0; left > 0; j = (j + 1) % byRemainder.length, left--) counts[byRemainder[j].i]++;
  // The minimum of one can overshoot: take back from the largest.
  while (left < 0) {
    const big = counts.indexOf(Math.max(...counts));
    counts[big]--;
    left++;
  }
  return counts;
}

/** The backend of each bucket: contiguous runs in declared order, so a shift rewrites only the buckets between. */
export function bucketOwners(parts: SplitPart[]): string[] {
  const counts = allocate(parts);
  return parts.flatMap((p, i) => Array.from({ length: counts[i] }, () => p.backend));
}

/** The storage name of a frontend's split map (DPAPI turns every dot but the extension's into `_`). */
export const splitMapName = (frontend: string) => `${frontend.replace(/[^A-Za-z0-9_-]/g, "_")}_splits.map`;

/** The `use_backend` target of the k-th split route. */
export function splitTarget(k: number, mapPath: string, fallback: string): string {
  return `%[rand(${BUCKETS}),add(${k * BUCKETS}),map_int(${mapPath},${fallback})]`;
}

const TARGET = /^%\[rand\((\d+)\),add\((\d+)\),map_int\(([^,()]+),([^,()]+)\)\]$/;

/** The split route a `use_backend` target is, if it is one. */
export function parseSplitTarget(target: string): { k: number; mapPath: string; fallback: string } | undefined {
  const m = TARGET.exec(target);
  if (!m || Number(m[1]) !== BUCKETS) return undefined;
  return { k: Number(m[2]) / BUCKETS, mapPath: m[3], fallback: m[4] };
}

/** The map's entries for the frontend's split routes, in order. */
export function splitEntries(splits: SplitPart[][]): MapEntry[] {
  return splits.flatMap((parts, k) => bucketOwners(parts).map((backend, b) => ({ key: String(k * BUCKETS + b), value: backend })));
}

/**
 * The split the live buckets of route k make. When they are what `like` (the declared split) allocates,
 * it is `like` itself (weights as written, zero weights kept); otherwise each backend weighs its buckets.
 */
export function splitFromEntries(entries: MapEntry[], k: number, like?: SplitPart[]): SplitPart[] {
  const owners: string[] = [];
  for (const e of entries) {
    const key = Number(e.key);
    if (Number.isInteger(key) && key >= k * BUCKETS && key < (k + 1) * BUCKETS) owners[key - k * BUCKETS] = e.value;
  }
  if (like && JSON.stringify(owners) === JSON.stringify(bucketOwners(like))) return like;
  const counts = new Map<string, number>();
  for (const o of owners) if (o !== undefined) counts.set(o, (counts.get(o) ?? 0) + 1);
  return [...counts].map(([backend, weight]) => ({ backend, weight }));
}
