// `bash scripts/quickstart.sh`, the README's main job, run as a newcomer runs it, and then every
// command it prints pasted into its own fresh login shell (`env -i … bash -l`, so nothing the
// quickstart exported helps). It runs in a copy of the repository (its .bench and .pulumi-state
// are the copy's), with the set-up skipped: the suite's set-up already ran, and its `npm ci` must
// not rewrite the node_modules the other tests use.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describeWith } from "../support/requires";

const repoRoot = resolve(__dirname, "..", "..");

/** The printed block of commands: the lines after "Try (…):" up to the next blank line. */
function printedCommands(stdout: string): string[] {
  const lines = stdout.split("\n");
  const start = lines.findIndex((l) => l.startsWith("Try (each line runs as pasted"));
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && l.trim() === "");
  return lines.slice(start + 1, end < 0 ? undefined : end).map((l) => l.trim()).filter(Boolean);
}

/** A new terminal: a login shell with only HOME (and the cache location) from this process. */
function freshShell(line: string): { status: number | null; stdout: string; stderr: string } {
  const env = ["-i", `HOME=${homedir()}`, "TERM=dumb", ...(process.env.XDG_CACHE_HOME ? [`XDG_CACHE_HOME=${process.env.XDG_CACHE_HOME}`] : [])];
  const r = spawnSync("env", [...env, "bash", "-l"], { input: line + "\n", cwd: homedir(), encoding: "utf8", timeout: 180_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = ""; let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

describeWith(["v3", "pulumi"], "scripts/quickstart.sh: the commands it prints work as pasted in a new shell", () => {
  let copy: string;
  const state = () => join(copy, ".bench", "local.json");
  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), "quickstart-hints-"));
    for (const p of ["scripts", "test/bench", "test/support", "examples/quickstart", "Pulumi.yaml", "package.json", "tsconfig.json"]) {
      cpSync(join(repoRoot, p), join(copy, p), { recursive: true });
    }
    symlinkSync(join(repoRoot, "node_modules"), join(copy, "node_modules"));
    // Its `npm ci` would empty the shared node_modules behind the symlink: fail loudly instead.
    writeFileSync(join(copy, "scripts", "setup.sh"), "echo 'quickstart-hints test: scripts/setup.sh must not run here' >&2; exit 1\n");
  });
  afterAll(() => {
    // If the pasted `stop` did not run or failed, stop the local environment here.
    if (copy && existsSync(state())) {
      const pid = Number(JSON.parse(readFileSync(state(), "utf8")).pid);
      try { process.kill(pid, "SIGTERM"); } catch { /* gone */ }
      spawnSync("sh", ["-c", `for i in $(seq 100); do kill -0 ${pid} 2>/dev/null || exit 0; sleep 0.1; done; kill -9 ${pid}`]);
    }
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  test("quickstart up, then each printed line in its own `bash -l`: preview shows no change, stack output, curl reaches a demo server, stop stops everything", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, QUICKSTART_SKIP_SETUP: "1", BENCH_NO_CONSUL: "1" };
    // The newcomer's shell has none of these; the quickstart's defaults must do.
    for (const k of Object.keys(env)) if (k.startsWith("PULUMI_")) delete env[k];
    const qs = await run("bash", ["scripts/quickstart.sh"], { cwd: copy, env });
    if (qs.code !== 0) throw new Error(`quickstart.sh exited ${qs.code}:\n${qs.stderr.slice(-4000)}`);
    // It said what it was doing on each long step.
    expect(qs.stderr).toMatch(/waiting for HAProxy, the Data Plane API and Consul/);
    expect(qs.stderr).toMatch(/pulumi up of the quickstart/);

    const commands = printedCommands(qs.stdout);
    expect(commands).toEqual([
      expect.stringMatching(/^cd \S+ && scripts\/pulumi preview --diff --stack local$/),
      expect.stringMatching(/^cd \S+ && scripts\/pulumi stack output --stack local$/),
      expect.stringMatching(/^curl http:\/\/127\.0\.0\.1:\d+\/$/),
      expect.stringMatching(/^bash \S+\/scripts\/quickstart\.sh stop$/),
    ]);

    const [preview, outputs, curl, stop] = commands.map((line) => ({ line, ...freshShell(line) }));
    for (const r of [preview, outputs, curl, stop]) {
      if (r.status !== 0) throw new Error(`\`${r.line}\` in a new shell exited ${r.status}:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
    }
    // The preview ran against the quickstart's own stack, and nothing changed since its up.
    expect(preview.stdout).toMatch(/Previewing update \(local\)/);
    expect(preview.stdout).not.toMatch(/to (create|update|delete|replace)/);
    expect(outputs.stdout).toMatch(/backend\s+app/);
    expect(["demo-1", "demo-2"]).toContain(curl.stdout.trim());
    // `stop` destroyed the stack and stopped the local environment.
    expect(stop.stderr).toMatch(/stopped/);
    expect(existsSync(state())).toBe(false);
  });
});
