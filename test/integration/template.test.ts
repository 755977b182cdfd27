// templates/haproxy-typescript, used the way `pulumi new` users do, with the
// real CLI and offline: `pulumi new ./templates/haproxy-typescript --yes
// --config ...` in an empty folder, the password set as a secret, then
// `pulumi up` against a real HAProxy + Data Plane API.
//
// `pulumi new` runs `npm install` itself. The package is not on a registry this
// test may use, so an `npm` first on PATH stands in for the registry: for
// `npm install` it links the repository's node_modules (which holds the packed
// package, as examples get it) and logs the call; any other npm command goes
// to the real npm. Everything else (templating, the stack, its config, the
// language host, the engine) is the real CLI.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { load as loadYaml } from "js-yaml";
import { startBench, freePort, type Bench } from "../bench/bench";
import { pulumiEnv } from "../support/pulumi";
import { startUpstream, tally, type Upstream } from "../support/upstreams";
import { haproxyCfg } from "../support/dpapi";
import { describeWith } from "../support/requires";

const repoRoot = resolve(__dirname, "..", "..");
const template = join(repoRoot, "templates", "haproxy-typescript");

interface Run { code: number; stdout: string; stderr: string }

describeWith(["v3", "pulumi"], "templates/haproxy-typescript with pulumi new", () => {
  let bench: Bench; let upstreams: Upstream[]; let port: number; let root: string; let env: NodeJS.ProcessEnv;

  /** The real CLI, asynchronously (the upstreams answer HAProxy's health checks from this process meanwhile). */
  function pulumi(cwd: string, args: string[], input?: string): Promise<Run> {
    return new Promise((done) => {
      const child = execFile("pulumi", args, { cwd, env, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }));
      child.stdin!.end(input ?? "");
    });
  }
  async function ok(cwd: string, args: string[], input?: string): Promise<string> {
    const r = await pulumi(cwd, args, input);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }
  const stackConfig = (dir: string) => (loadYaml(readFileSync(join(dir, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> }).config;

  beforeAll(async () => {
    bench = await startBench({ dataplane: "v3" });
    upstreams = [await startUpstream("app-a"), await startUpstream("app-b")];
    port = await freePort();
    root = mkdtempSync(join(tmpdir(), "pulumi-template-"));
    mkdirSync(join(root, "bin"));
    mkdirSync(join(root, "state"));
    const realNpm = join(process.execPath, "..", "npm");
    writeFileSync(join(root, "bin", "npm"), [
      "#!/bin/sh",
      `echo "npm $*" >> "${root}/npm.log"`,
      `if [ "$1" = install ]; then ln -s "${join(repoRoot, "node_modules")}" node_modules; exit 0; fi`,
      `exec ${existsSync(realNpm) ? realNpm : "/usr/bin/npm"} "$@"`,
      "",
    ].join("\n"));
    chmodSync(join(root, "bin", "npm"), 0o755);
    const offline = pulumiEnv(root);
    env = { ...process.env, ...offline, PATH: `${join(root, "bin")}:${offline.PATH}` };
  });
  afterAll(async () => {
    await bench?.stop();
    for (const u of upstreams ?? []) await u.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test("pulumi new --yes --config in an empty folder, config set --secret, up: HAProxy serves the program", async () => {
    const dir = join(root, "lb");
    const servers = upstreams.map((u) => `127.0.0.1:${u.port}`).join(",");
    await ok(root, ["new", template, "--yes", "--non-interactive", "--dir", dir, "--name", "lb", "--stack", "dev",
      "--config", `haproxy-dataplane:url=${bench.dataplane!.url}`,
      "--config", `servers=${servers}`,
      "--config", `listenPort=${port}`]);

    // The project: named, the template section gone, dependencies installed by `pulumi new` itself.
    const project = readFileSync(join(dir, "Pulumi.yaml"), "utf8");
    expect(project).toMatch(/^name: lb$/m);
    expect(project).not.toMatch(/^template:/m);
    expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name).toBe("lb");
    expect(readFileSync(join(root, "npm.log"), "utf8")).toMatch(/^npm install\b/m);
    // The stack: the answers, the template's defaults, and no password (it has no default; it goes in as a secret next).
    expect(stackConfig(dir)).toEqual({
      "haproxy-dataplane:url": bench.dataplane!.url,
      "haproxy-dataplane:username": "admin",
      "lb:servers": servers,
      "lb:listenPort": String(port),
    });

    // As the template's quickstart says: the password from stdin, so it is in no shell history or argv.
    await ok(dir, ["config", "set", "--secret", "haproxy-dataplane:password"], bench.dataplane!.password);
    const stackFile = readFileSync(join(dir, "Pulumi.dev.yaml"), "utf8");
    expect(stackFile).toMatch(/haproxy-dataplane:password:\s*\n\s*secure: \S+/);
    expect(stackFile).not.toContain(bench.dataplane!.password);

    const up = await ok(dir, ["up", "--yes", "--stack", "dev"]);
    expect(up).toMatch(/\+ 3 created/);
    const cfg = haproxyCfg(bench);
    expect(cfg).toMatch(new RegExp(`^\\s*server app-1 127\\.0\\.0\\.1:${upstreams[0].port}\\b.*\\bcheck\\b`, "m"));
    expect(cfg).toMatch(new RegExp(`^\\s*server app-2 127\\.0\\.0\\.1:${upstreams[1].port}\\b.*\\bcheck\\b`, "m"));
    expect(cfg).toMatch(new RegExp(`^\\s*bind 127\\.0\\.0\\.1:${port}\\b`, "m"));
    expect(await tally(port, "lb.test", 20)).toEqual({ "app-a": 10, "app-b": 10 });

    await ok(dir, ["preview", "--expect-no-changes", "--stack", "dev"]);
    await ok(dir, ["destroy", "--yes", "--stack", "dev"]);
    expect(haproxyCfg(bench)).not.toMatch(/^backend app\b/m);
  });

  test("a password given to pulumi new with --config is stored as given, in plain text (why the README says not to)", async () => {
    const dir = join(root, "plain");
    await ok(root, ["new", template, "--yes", "--non-interactive", "--dir", dir, "--name", "plain", "--stack", "dev",
      "--config", `haproxy-dataplane:url=${bench.dataplane!.url}`, "--config", "haproxy-dataplane:password=visible-in-the-file"]);
    // Pulumi v3.274.1 copies --config values verbatim; the template's `secret: true` applies only to prompted answers.
    expect(stackConfig(dir)["haproxy-dataplane:password"]).toBe("visible-in-the-file");
    // The fix the README gives: set it again as a secret.
    await ok(dir, ["config", "set", "--secret", "haproxy-dataplane:password"], "visible-in-the-file");
    expect(readFileSync(join(dir, "Pulumi.dev.yaml"), "utf8")).not.toContain("visible-in-the-file");
  });
});
