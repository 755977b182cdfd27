// The pure parts of MapFile: how inputs become file lines, and which runtime
// edits turn what HAProxy has into what was declared.
import { entriesOf, parseContents, planEdits, renderContents, MapFileInputsSchema } from "./map-file";

const e = (key: string, value: string) => ({ key, value });

describe("map file order", () => {
  test("an object lists keys sorted by code point; an array and raw contents keep their order", () => {
    expect(renderContents({ entries: { "b.test": "2", "B.test": "1", "a.test": "3" } })).toBe("B.test 1\na.test 3\nb.test 2\n");
    expect(renderContents({ entries: [e("z", "1"), e("a", "2")] })).toBe("z 1\na 2\n");
    expect(renderContents({ contents: "# routes\nz 1\n\na 2\n" })).toBe("# routes\nz 1\n\na 2\n");
    expect(entriesOf({ contents: "# routes\nz 1\n\n  a   2  \n" })).toEqual([e("z", "1"), e("a", "2")]);
    expect(renderContents({})).toBe("");
  });

  test("contents lines are parsed like HAProxy: first word is the key, the rest the value", () => {
    expect(parseContents("k v\n#c\nx y z\n")).toEqual([{ key: "k", value: "v", line: 1 }, { key: "x", value: "y z", line: 3 }]);
  });
});

describe("planEdits", () => {
  test("sets, deletes and appends by key", () => {
    const plan = planEdits([e("a", "1"), e("b", "2")], [e("a", "9"), e("c", "3")], false);
    expect(plan).toEqual({ feasible: true, edits: [{ op: "delete", key: "b" }, { op: "set", key: "a", value: "9" }, { op: "add", key: "c", value: "3" }] });
  });

  test("nothing to do when live matches", () => {
    expect(planEdits([e("a", "1")], [e("a", "1")], true)).toEqual({ feasible: true, edits: [] });
  });

  test("ordered maps: appending keeps the order, inserting before existing keys does not", () => {
    expect(planEdits([e("a", "1")], [e("a", "1"), e("b", "2")], true).feasible).toBe(true);
    expect(planEdits([e("a", "1")], [e("b", "2"), e("a", "1")], true).feasible).toBe(false);
    expect(planEdits([e("a", "1"), e("b", "2")], [e("b", "2"), e("a", "1")], true).feasible).toBe(false);
    // Unordered maps do not care.
    expect(planEdits([e("a", "1")], [e("b", "2"), e("a", "1")], false).feasible).toBe(true);
  });

  test("keys DPAPI cannot address in a URL, and duplicate live keys, need a whole-map replacement", () => {
    expect(planEdits([e("/a?x=1&y=2", "1")], [e("/a?x=1&y=2", "2")], false).feasible).toBe(false);
    expect(planEdits([e("100%", "1")], [], false).feasible).toBe(false);
    expect(planEdits([], [e("/a?x=1&y=2", "1")], false).feasible).toBe(true); // adds go in the request body
    expect(planEdits([e("a", "1"), e("a", "2")], [e("a", "1")], false).feasible).toBe(false);
  });
});

describe("MapFile inputs", () => {
  const issues = (v: unknown) => {
    const r = MapFileInputsSchema.safeParse(v);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };
  test("name, keys and values are checked with messages that say what is allowed", () => {
    expect(issues({ name: "" })[0]).toMatch(/^name: must be a file name such as hosts.map/);
    expect(issues({ name: "a.map", entries: { "#x": "1" } })).toEqual(["entries.#x: key must be non-empty, without whitespace, and not start with #"]);
    expect(issues({ name: "a.map", contents: "k v w\n" })[0]).toMatch(/^contents: line 1 \("k"\): value must be non-empty and without whitespace/);
    expect(issues({ name: "a.map", entries: "x" })[0]).toBe("entries: must be an object of key → value, or an array of { key, value }");
    expect(issues({ name: "a.map", entries: { a: "1" } })).toEqual([]);
  });
});
