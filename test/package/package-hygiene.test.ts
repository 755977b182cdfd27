// What `npm publish` would ship, checked the way npm's ecosystem checks it:
// the API reference builds with every exported symbol documented (TypeDoc,
// warnings as errors), publint and arethetypeswrong pass on the packed tarball,
// and the published file list is only what users need. Everything runs from
// node_modules (dev dependencies) with npm offline: no network at test time.
// It packs the current bin/, so build first (`npm run build`; scripts/setup.sh does).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as Record<string, any>;

const env = {
  ...process.env,
  PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`,
  NO_COLOR: "1", FORCE_COLOR: "0", npm_config_offline: "true", npm_config_fund: "false", npm_config_audit: "false",
};

function run(cmd: string, args: string[]): { status: number | null; out: string; stdout: string } {
  const r = spawnSync(cmd, args, { cwd: ROOT, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}\n${r.stderr}`, stdout: r.stdout };
}
const bin = (tool: string) => path.join(ROOT, "node_modules/.bin", tool);
/** Asserts exit 0, showing the tool's output when it is not. */
function ok(r: { status: number | null; out: string }, what: string): void {
  if (r.status !== 0) throw new Error(`${what} exited with ${r.status}:\n${r.out}`);
}

/** The non-test TypeScript sources tsc compiles into bin/ (tsconfig.json: provider/ and sdk/, no *.test.ts). */
function compiledSources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (rel.endsWith(".ts") && !rel.endsWith(".d.ts") && !rel.endsWith(".test.ts")) out.push(rel.replace(/\.ts$/, ""));
    }
  };
  walk("provider");
  walk("sdk");
  return out.sort();
}

let tmp: string;
let tarball: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "package-hygiene-"));
  const r = run("npm", ["pack", "--json", "--pack-destination", tmp]);
  ok(r, "npm pack");
  const [packed] = JSON.parse(r.stdout) as Array<{ filename: string }>;
  tarball = path.join(tmp, packed.filename);
  expect(fs.existsSync(tarball)).toBe(true);
}, 120_000);
afterAll(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

test("npm run docs: TypeDoc builds the API reference with every exported symbol documented", () => {
  expect(pkg.scripts.docs).toBe("typedoc");
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, "typedoc.json"), "utf8"));
  expect(config).toMatchObject({ out: "docs/api", treatWarningsAsErrors: true, validation: { notDocumented: true } });
  const r = run("npm", ["run", "--silent", "docs"]);
  ok(r, "npm run docs");
  expect(r.out).not.toMatch(/\[(warning|error)\]/);
  expect(fs.existsSync(path.join(ROOT, "docs/api/index.html"))).toBe(true);
}, 180_000);

test("publint finds nothing on the packed tarball (not even a suggestion)", () => {
  const r = run(bin("publint"), ["run", "--strict", tarball]);
  ok(r, "publint");
  expect(r.out).toContain("All good!");
}, 120_000);

// The package is CommonJS only (tsc `module: commonjs`, `"type": "commonjs"`), so attw's findings for it are
// about how TypeScript users resolve it. The root entry point is checked with the default, strict profile:
// all four resolutions, node10 included, because Pulumi's TypeScript template compiles with
// `moduleResolution: node` (node10), and ESM importers get the CJS module (🟢 "(CJS)", no false ESM).
// The `./provider/*` entry points exist for the serialized dynamic provider, which `require`s them by name
// inside Node >= 22 (engines), where `exports` always applies; node10 resolution ignores `exports`, so they
// are checked with the node16 profile (node16 from CJS and ESM, and bundler). attw skips wildcard subpaths,
// so each one the SDK requires is named explicitly.
test("arethetypeswrong: no problem with the root entry point, nor with the provider modules under node16", () => {
  const root = run(bin("attw"), ["--format", "json", "--no-definitely-typed", "--entrypoints", ".", "--", tarball]);
  ok(root, "attw (root entry point, strict profile)");
  const rootReport = JSON.parse(root.stdout) as { analysis: { entrypoints: Record<string, unknown> }; problems: unknown };
  expect(Object.keys(rootReport.analysis.entrypoints)).toEqual(["."]);

  // State refers to provider/dynamic/<kind> by name, and its methods load provider/resources/<kind> by name.
  expect(fs.readFileSync(path.join(ROOT, "sdk/provider.ts"), "utf8")).toContain("require(`../provider/dynamic/${kind}`)");
  expect(fs.readFileSync(path.join(ROOT, "provider/dynamic/methods.ts"), "utf8")).toContain("pulumi-haproxy-dataplane/provider/resources/${kind}");
  const kinds = new Set<string>();
  for (const f of fs.readdirSync(path.join(ROOT, "sdk"))) {
    for (const m of fs.readFileSync(path.join(ROOT, "sdk", f), "utf8").matchAll(/dynamicProvider\("([a-z-]+)"\)/g)) kinds.add(m[1]);
  }
  expect(kinds.size).toBeGreaterThan(0);
  const providerEntries = ["./provider/connection", ...[...kinds].sort().flatMap((k) => [`./provider/dynamic/${k}`, `./provider/resources/${k}`])];
  const sub = run(bin("attw"), ["--format", "json", "--no-definitely-typed", "--profile", "node16", "--entrypoints", ...providerEntries, "--", tarball]);
  ok(sub, "attw (provider modules, node16 profile)");
  const subReport = JSON.parse(sub.stdout) as { analysis: { entrypoints: Record<string, unknown> }; problems: Record<string, Array<{ resolutionKind?: string }>> };
  expect(Object.keys(subReport.analysis.entrypoints).sort()).toEqual([...providerEntries].sort());
  // The node16 profile leaves out node10 only: anything else it lists would be a real problem.
  const beyondNode10 = Object.values(subReport.problems).flat().filter((p) => p.resolutionKind !== "node10");
  expect(beyondNode10).toEqual([]);
}, 120_000);

test("npm publish --dry-run ships only compiled JS, .d.ts, README, LICENSE and package.json", () => {
  const r = run("npm", ["publish", "--dry-run", "--json"]);
  ok(r, "npm publish --dry-run");
  const report = JSON.parse(r.stdout) as Record<string, { files: Array<{ path: string }> }>;
  const files = report[pkg.name].files.map((f) => f.path).sort();

  const extra = files.filter((f) => !["README.md", "LICENSE", "package.json"].includes(f) && !/^bin\/.*\.(js|d\.ts)$/.test(f));
  expect({ notCompiledOutput: extra }).toEqual({ notCompiledOutput: [] });
  expect(files).toEqual(expect.arrayContaining(["README.md", "LICENSE", "package.json"]));

  // Exactly one .js and one .d.ts per non-test source: no compiled test, no file left from a deleted source
  // (rebuild with `rm -rf bin && npm run build`), none missing.
  const sources = compiledSources();
  const expected = sources.flatMap((s) => [`bin/${s}.js`, `bin/${s}.d.ts`]).sort();
  expect(files.filter((f) => f.startsWith("bin/"))).toEqual(expected);
  expect(files.some((f) => /\.test\.|^bin\/test\//.test(f))).toBe(false);
}, 120_000);

test("package.json names the repository, keywords and license, and LICENSE is Apache-2.0", () => {
  expect(pkg.license).toBe("Apache-2.0");
  expect(pkg.repository).toEqual({ type: "git", url: expect.stringMatching(/^git\+https:\/\/github\.com\/.+\.git$/) });
  expect(pkg.keywords).toEqual(expect.arrayContaining(["pulumi", "haproxy", "dataplaneapi", "iac"]));
  const license = fs.readFileSync(path.join(ROOT, "LICENSE"), "utf8");
  expect(license).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
  expect(license).toContain("END OF TERMS AND CONDITIONS");
  expect(fs.readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8")).toMatch(/^## \[Unreleased\]/m);
});
