// The pure parts of canary splits: how weights become buckets, and how live buckets read back.
import { allocate, bucketOwners, parseSplitTarget, splitEntries, splitFromEntries, splitTarget } from "./frontend-split";
import { FrontendInputsSchema } from "./frontend";

const p = (backend: string, weight: number) => ({ backend, weight });

describe("split buckets", () => {
  test("weights become shares of 100 buckets, relative to their sum", () => {
    expect(allocate([p("a", 90), p("b", 10)])).toEqual([90, 10]);
    expect(allocate([p("a", 1), p("b", 1), p("c", 2)])).toEqual([25, 25, 50]);
    expect(allocate([p("a", 1), p("b", 1), p("c", 1)]).reduce((n, c) => n + c, 0)).toBe(100);
    expect(allocate([p("a", 0), p("b", 7)])).toEqual([0, 100]);
  });

  test("a tiny positive weight still gets one bucket, and the total stays 100", () => {
    const counts = allocate([p("a", 999), p("b", 1)]);
    expect(counts).toEqual([99, 1]);
  });

  test("a shift rewrites only the buckets between the old and new boundary", () => {
    const before = bucketOwners([p("v1", 90), p("v2", 10)]);
    const after = bucketOwners([p("v1", 50), p("v2", 50)]);
    expect(before.filter((o, i) => o !== after[i])).toHaveLength(40);
  });

  test("the k-th split route owns keys k*100 to k*100+99, and reads back as declared", () => {
    const declared = [[p("a", 90), p("b", 10)], [p("c", 1), p("d", 0), p("e", 3)]];
    const entries = splitEntries(declared);
    expect(entries).toHaveLength(200);
    expect(entries[100]).toEqual({ key: "100", value: "c" });
    expect(splitFromEntries(entries, 1, declared[1])).toBe(declared[1]);
    // Changed behind Pulumi's back: the live buckets are the weights.
    const drifted = entries.map((e) => (e.key === "0" ? { ...e, value: "b" } : e));
    expect(splitFromEntries(drifted, 0, declared[0])).toEqual([p("b", 11), p("a", 89)]);
  });

  test("a split target parses back to its route and map", () => {
    const t = splitTarget(2, "/etc/haproxy/maps/web_splits.map", "app-v1");
    expect(t).toBe("%[rand(100),add(200),map_int(/etc/haproxy/maps/web_splits.map,app-v1)]");
    expect(parseSplitTarget(t)).toEqual({ k: 2, mapPath: "/etc/haproxy/maps/web_splits.map", fallback: "app-v1" });
    expect(parseSplitTarget("%[req.hdr(host),map(/x.map)]")).toBeUndefined();
  });
});

describe("split inputs", () => {
  const base = { name: "web", binds: [{ address: "127.0.0.1", port: 8080 }] };
  const issues = (routes: unknown[]) => {
    const r = FrontendInputsSchema.safeParse({ ...base, routes });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  test("all weights zero, a negative weight, a backend twice, or both backend and split are refused, naming the field", () => {
    expect(issues([{ split: [p("a", 0), p("b", 0)] }])).toEqual(["routes.0.split: weights are all 0: at least one backend must have a positive weight"]);
    expect(issues([{ split: [p("a", -1), p("b", 1)] }])).toEqual(["routes.0.split.0.weight: must be a non-negative integer"]);
    expect(issues([{ split: [p("a", 1), p("a", 2)] }])).toEqual(["routes.0.split.1.backend: a appears twice in this split; give it one weight"]);
    expect(issues([{ backend: "a", split: [p("a", 1)] }])).toEqual(["routes.0: give either `backend` or `split`, not both and not neither"]);
    expect(issues([{ if: "x" }])).toEqual(["routes.0: give either `backend` or `split`, not both and not neither"]);
    expect(issues([{ split: [p("a", 90), p("b", 10)], if: "host_app" }])).toEqual([]);
  });
});
