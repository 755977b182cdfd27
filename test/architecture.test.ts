// Module boundaries the design relies on, checked on the source text:
// - only the client's transport imports undici, and only the client knows the API generations' paths;
// - the SDK imports provider code for types only, so the closure Pulumi serializes carries none of it.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const root = resolve(__dirname, "..");

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(root, dir, name);
    if (statSync(path).isDirectory()) return sources(relative(root, path));
    return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [relative(root, path)] : [];
  });
}

const importsOf = (file: string) =>
  [...readFileSync(join(root, file), "utf8").matchAll(/^import\s+(type\s+)?[^;]*?from\s+"([^"]+)"/gm)].map((m) => ({ typeOnly: !!m[1], from: m[2] }));

test("only provider/client/http.ts imports undici", () => {
  const users = [...sources("provider"), ...sources("sdk")].filter((f) => importsOf(f).some((i) => i.from === "undici"));
  expect(users).toEqual(["provider/client/http.ts"]);
});

test("resources never reach into the client's internals (dialect, transport, queue)", () => {
  const offenders = sources("provider/resources").flatMap((f) =>
    importsOf(f).filter((i) => /client\/(dialect|http|writes)/.test(i.from)).map((i) => `${f} → ${i.from}`));
  expect(offenders).toEqual([]);
});

test("the SDK imports provider code for types only", () => {
  const offenders = sources("sdk").flatMap((f) =>
    importsOf(f).filter((i) => i.from.startsWith("../provider") && !i.typeOnly).map((i) => `${f} → ${i.from}`));
  expect(offenders).toEqual([]);
});
