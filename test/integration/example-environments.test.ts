// examples/environments, run as a team runs it: one project folder (the packed
// package in node_modules), two stacks, dev and prod, each pointed at its own
// HAProxy + Data Plane API (two benches), each with its own DPAPI password as a
// stack secret and its own passphrase, as two CI jobs would hold them. Checks
// that each HAProxy got its environment's configuration and no other, that no
// password is in the other environment's files (or anywhere in plain text),
// and that a change reaches prod only when it is promoted.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { load as loadYaml } from "js-yaml";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { startBench, freePort, type Bench } from "../bench/bench";
import { pulumiEnv } from "../support/pulumi";
import { startUpstream, getOnPort, type Upstream } from "../support/upstreams";
import { accessLogLines, haproxyCfg } from "../support/dpapi";
import { describeWith } from "../support/requires";

const example = resolve(__dirname, "..", "..", "examples", "environments");
const repoRoot = resolve(__dirname, "..", "..");
type EnvName = "dev" | "prod";
interface BackendSpec { servers: string[]; maxconn?: number }

/** The backends of an environment as its committed Pulumi.<env>.yaml declares them. */
function committedBackends(env: EnvName): Record<string, BackendSpec> {
  const doc = loadYaml(readFileSync(join(example, `Pulumi.${env}.yaml`), "utf8")) as { config: Record<string, unknown> };
  return doc.config["environments:backends"] as Record<string, BackendSpec>;
}

/** The `server` lines of one backend section of haproxy.cfg (undefined when the section is absent). */
function serverLines(cfg: string, backend: string): string[] | undefined {
  const section = cfg.split(/^(?=\S)/m).find((s) => s.startsWith(`backend ${backend}\n`));
  return section?.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("server "));
}

/** Every regular file under `dir` (symlinks, sockets and node_modules left out), with its text. */
function filesUnder(dir: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== "node_modules") out.push(...filesUnder(p));
    else if (e.isFile()) out.push({ path: p, text: readFileSync(p, "latin1") });
  }
  return out;
}

const holding = (files: { path: string; text: string }[], secret: string) => files.filter((f) => f.text.includes(secret)).map((f) => f.path);

describeWith(["v3", "pulumi"], "examples/environments", () => {
  interface Env { name: EnvName; bench: Bench; upstream: Upstream; port: number; stack: Stack; env: Record<string, string>; backends: Record<string, BackendSpec> }
  const envs = {} as Record<EnvName, Env>;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "example-environments-"));
    cpSync(example, dir, { recursive: true });
    // What `npm install` of the packed package gives: the repo's node_modules holds it.
    symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
    mkdirSync(join(dir, "state"));
    for (const name of ["dev", "prod"] as const) {
      const [bench, upstream, port] = [await startBench({ dataplane: "v3" }), await startUpstream(name), await freePort()];
      // One passphrase per environment: the dev job cannot decrypt prod's secrets.
      const env: Record<string, string> = { ...pulumiEnv(dir), PULUMI_CONFIG_PASSPHRASE: `passphrase-of-${name}` };
      process.env.PATH = env.PATH;
      const stack = await LocalWorkspace.createOrSelectStack({ stackName: name, workDir: dir }, { envVars: env });
      const committed = committedBackends(name);
      // Same backends, counts and limits as committed, but every server is this environment's local
      // upstream (no health checks to addresses that do not exist here).
      const backends = Object.fromEntries(Object.entries(committed).map(([b, spec]) =>
        [b, { ...spec, servers: spec.servers.map(() => `127.0.0.1:${upstream.port}`) }]));
      await stack.setAllConfig({
        "haproxy-dataplane:url": { value: bench.dataplane!.url },
        "haproxy-dataplane:password": { value: bench.dataplane!.password, secret: true },
        "environments:listenAddress": { value: "127.0.0.1" },
        "environments:listenPort": { value: String(port) },
        "environments:backends": { value: JSON.stringify(backends) },
      });
      envs[name] = { name, bench, upstream, port, stack, env, backends: committed };
    }
  });
  afterAll(async () => {
    for (const e of Object.values(envs)) {
      await e.stack.destroy().catch(() => undefined);
      await e.bench.stop();
      await e.upstream.close();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the committed stack files differ in endpoint, domain and backend sizes, and hold no password", () => {
    const [dev, prod] = [committedBackends("dev"), committedBackends("prod")];
    expect(Object.keys(dev)).toEqual(["web", "api"]);
    expect(Object.keys(prod)).toEqual(["web", "api", "reports"]);
    expect(dev.web.servers.length).toBeLessThan(prod.web.servers.length);
    for (const env of ["dev", "prod"]) {
      const text = readFileSync(join(example, `Pulumi.${env}.yaml`), "utf8");
      expect(text).toMatch(/haproxy-dataplane:url: \S+/);
      expect(text).not.toMatch(/password:/);
    }
  });

  test("up of each stack configures its own HAProxy, and only that one", async () => {
    const results = await Promise.all([envs.dev.stack.up(), envs.prod.stack.up()]);
    for (const r of results) expect(r.summary.result).toBe("succeeded");
    expect(results[0].outputs.serversPerBackend.value).toEqual({ web: 1, api: 1 });
    expect(results[1].outputs.serversPerBackend.value).toEqual({ web: 3, api: 2, reports: 1 });

    for (const e of Object.values(envs)) {
      const other = e.name === "dev" ? envs.prod : envs.dev;
      const cfg = haproxyCfg(e.bench);
      for (const [b, spec] of Object.entries(e.backends)) {
        const lines = serverLines(cfg, b)!;
        expect(lines).toHaveLength(spec.servers.length);
        lines.forEach((l, i) => {
          expect(l).toMatch(new RegExp(`^server ${b}-${i + 1} 127\\.0\\.0\\.1:${e.upstream.port}\\b`));
          if (spec.maxconn) expect(l).toMatch(new RegExp(`\\bmaxconn ${spec.maxconn}\\b`));
        });
      }
      for (const b of Object.keys(other.backends).filter((b) => !(b in e.backends))) expect(serverLines(cfg, b)).toBeUndefined();
      expect(cfg).not.toContain(`:${other.upstream.port}`);
      expect(cfg).not.toContain(`:${other.port}`);
      const domain = e.name === "dev" ? "dev.example.com" : "example.com";
      expect(cfg).toMatch(new RegExp(`acl host_api hdr\\(host\\) api\\.${domain.replace(/\./g, "\\.")}$`, "m"));
      // Each HAProxy routes its own domain to its own servers.
      expect(await getOnPort(e.port, `api.${domain}`)).toBe(e.name);
      expect(await getOnPort(e.port, `web.${domain}`)).toBe(e.name);
      // No stack called the other's API (a wrong password would show as 401s in its access log).
      const access = accessLogLines(e.bench).filter((l) => /HTTP\/1\.1\\?" \d{3} /.test(l));
      expect(access.length).toBeGreaterThan(10);
      expect(access.filter((l) => /" 401 /.test(l))).toEqual([]);
    }
    expect(haproxyCfg(envs.prod.bench)).not.toContain("dev.example.com");
    expect(await getOnPort(envs.prod.port, "reports.example.com")).toBe("prod");
  });

  test("neither password is in the other environment's files, nor in plain text in any stack file", async () => {
    const [devPw, prodPw] = [envs.dev.bench.dataplane!.password, envs.prod.bench.dataplane!.password];
    expect(devPw).not.toBe(prodPw);
    // Each stack decrypts its own password with its own passphrase...
    expect((await envs.dev.stack.getConfig("haproxy-dataplane:password")).value).toBe(devPw);
    expect((await envs.prod.stack.getConfig("haproxy-dataplane:password")).value).toBe(prodPw);
    // ...and dev's passphrase does not open prod's (a dev CI job cannot read the prod password).
    await expect(promisify(execFile)("pulumi", ["config", "get", "haproxy-dataplane:password", "--stack", "prod"],
      { cwd: dir, env: { ...process.env, ...envs.dev.env } })).rejects.toThrow(/passphrase|decrypt/i);

    // The project folder: Pulumi.<stack>.yaml, the file backend's checkpoints, backups and history.
    const project = filesUnder(dir);
    expect(project.map((f) => f.path)).toEqual(expect.arrayContaining([join(dir, "Pulumi.dev.yaml"), join(dir, "Pulumi.prod.yaml")]));
    expect(project.filter((f) => f.path.includes(join("state", ".pulumi", "stacks"))).length).toBeGreaterThanOrEqual(2);
    for (const env of ["dev", "prod"]) {
      expect(readFileSync(join(dir, `Pulumi.${env}.yaml`), "utf8")).toMatch(/haproxy-dataplane:password:\s*\n\s*secure: \S+/);
    }
    expect(holding(project, devPw)).toEqual([]);
    expect(holding(project, prodPw)).toEqual([]);

    // The benches: each HAProxy and DPAPI folder holds its own password (the grep finds it) and never the other's.
    const [devBench, prodBench] = [filesUnder(envs.dev.bench.dir), filesUnder(envs.prod.bench.dir)];
    expect(holding(devBench, devPw)).toContain(join(envs.dev.bench.dir, "dataplaneapi.yaml"));
    expect(holding(prodBench, prodPw)).toContain(join(envs.prod.bench.dir, "dataplaneapi.yaml"));
    expect(holding(devBench, prodPw)).toEqual([]);
    expect(holding(prodBench, devPw)).toEqual([]);
  });

  test("a change made in dev reaches prod only when promoted", async () => {
    const httpchk = (e: Env) => haproxyCfg(e.bench).match(/option httpchk GET (\S+)/g);
    await envs.dev.stack.setConfig("healthCheckPath", { value: "/ready" });
    expect((await envs.dev.stack.up()).summary.resourceChanges).toEqual({ same: 2, update: 2 });
    expect(httpchk(envs.dev)).toEqual(["option httpchk GET /ready", "option httpchk GET /ready"]);
    expect(httpchk(envs.prod)).toEqual(Array(3).fill("option httpchk GET /healthz"));
    // Not promoted yet: prod has nothing to do.
    await envs.prod.stack.preview({ expectNoChanges: true });

    // Promotion: the same one-line change in Pulumi.prod.yaml, reviewed as prod's preview.
    await envs.prod.stack.setConfig("healthCheckPath", { value: "/ready" });
    const preview = await envs.prod.stack.preview({ diff: true });
    expect(preview.changeSummary).toEqual({ same: 2, update: 3 });
    expect(preview.stdout).toMatch(/uri\s*:\s*"\/healthz"\s*=>\s*"\/ready"/);
    expect((await envs.prod.stack.up()).summary.resourceChanges).toEqual({ same: 2, update: 3 });
    expect(httpchk(envs.prod)).toEqual(Array(3).fill("option httpchk GET /ready"));
    expect(await getOnPort(envs.prod.port, "web.example.com")).toBe("prod");
  });

  test("destroy of one stack leaves the other environment running", async () => {
    await envs.dev.stack.destroy();
    expect(serverLines(haproxyCfg(envs.dev.bench), "web")).toBeUndefined();
    expect(serverLines(haproxyCfg(envs.prod.bench), "web")).toHaveLength(3);
    expect(await getOnPort(envs.prod.port, "web.example.com")).toBe("prod");
  });
});
