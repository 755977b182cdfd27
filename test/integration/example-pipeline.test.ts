// examples/pipeline: its GitHub Actions workflow passes actionlint, and what the workflow runs
// works here against real benches: the pull request's `bash ci/preview.sh dev prod` writes the
// one comment it posts (both stacks, the changed fields, no secret), and the merge's
// `pulumi up` command lines apply the change.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { startBench, freePort, type Bench } from "../bench/bench";
import { cacheRoot } from "../bench/tools";
import { exampleStack, pulumiEnv } from "../support/pulumi";
import { haproxyCfg } from "../support/dpapi";
import { describeWith } from "../support/requires";

const example = resolve(__dirname, "..", "..", "examples", "pipeline");
const workflowPath = join(example, ".github", "workflows", "haproxy.yml");
const workflow = readFileSync(workflowPath, "utf8");

// Built by scripts/setup.sh (ensure_actionlint in scripts/bench-tools.sh).
const ACTIONLINT_VERSION = "v1.7.12";
const actionlint = [process.env.ACTIONLINT_BIN, join(cacheRoot, "actionlint", ACTIONLINT_VERSION, "actionlint")].find((p) => p && existsSync(p));
const describeLint = actionlint ? describe : describe.skip;

describeLint(`examples/pipeline workflow${actionlint ? "" : " [skipped: no actionlint binary, run scripts/setup.sh]"}`, () => {
  test("actionlint (with shellcheck on the run: scripts when installed) finds nothing", () => {
    const r = spawnSync(actionlint!, ["-no-color", workflowPath], { cwd: example, encoding: "utf8" });
    expect(`${r.stdout}${r.stderr}`).toBe("");
    expect(r.status).toBe(0);
  });

  test("actionlint fails a broken workflow (the lint really runs)", () => {
    const r = spawnSync(actionlint!, ["-no-color", "-"], { input: workflow.replace("needs: up-dev", "needs: up-staging"), encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/up-staging/);
  });
});

test("the workflow: previews of dev and prod posted as one comment on pull requests; on push, up dev, then prod behind the production environment", () => {
  expect(workflow).toMatch(/^on:\n {2}pull_request:[\s\S]*\n {2}push:\n {4}branches: \[main\]/m);
  expect(workflow).toMatch(/run: bash ci\/preview\.sh dev prod \| tee "\$RUNNER_TEMP\/preview\.md"/);
  expect(workflow).toMatch(/gh api --method PATCH "repos\/\$GITHUB_REPOSITORY\/issues\/comments\/\$id"/);
  const prodJob = workflow.slice(workflow.indexOf("\n  up-prod:"));
  expect(prodJob).toMatch(/needs: up-dev/);
  expect(prodJob).toMatch(/environment: production/);
  expect(prodJob).toMatch(/run: pulumi up --yes .*--stack prod/);
  // Secrets come from the CI's store, never from the repository.
  expect(workflow).toMatch(/PULUMI_CONFIG_PASSPHRASE: \$\{\{ secrets\.PULUMI_CONFIG_PASSPHRASE \}\}/);
  for (const file of ["Pulumi.dev.yaml", "Pulumi.prod.yaml"]) {
    // A password in a stack file is `haproxy-dataplane:password:` then `secure: …` (encrypted), never a value.
    expect(readFileSync(join(example, file), "utf8")).not.toMatch(/haproxy-dataplane:password: *\S/);
  }
});

function sh(command: string, cwd: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn("bash", ["-c", command], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = ""; let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

describeWith(["v3", "pulumi"], "examples/pipeline: what the workflow runs, against a dev and a prod bench", () => {
  let dev: Bench; let prod: Bench; let devStack: Stack; let prodStack: Stack; let dir: string; let dispose: () => void;
  let env: Record<string, string>;
  const servers = (ports: number[], weights: number[] = []) =>
    ({ value: JSON.stringify(ports.map((port, i) => ({ address: "127.0.0.1", port, weight: weights[i] ?? 100 }))) });
  let devServers: number[]; let prodServers: number[];
  beforeAll(async () => {
    [dev, prod] = await Promise.all([startBench({ dataplane: "v3" }), startBench({ dataplane: "v3" })]);
    devServers = [await freePort()];
    prodServers = [await freePort(), await freePort(), await freePort()];
    const common = { "pipeline:listenAddress": { value: "127.0.0.1" } };
    ({ stack: devStack, dir, dispose } = await exampleStack("pipeline", dev, {
      ...common, "pipeline:port": { value: String(await freePort()) }, "pipeline:servers": servers(devServers),
    }, "dev"));
    env = pulumiEnv(dir);
    // The second environment: another stack of the same folder, another HAProxy.
    prodStack = await LocalWorkspace.createOrSelectStack({ stackName: "prod", workDir: dir }, { envVars: env });
    await prodStack.setAllConfig({
      "haproxy-dataplane:url": { value: prod.dataplane!.url },
      "haproxy-dataplane:username": { value: prod.dataplane!.username },
      "haproxy-dataplane:password": { value: prod.dataplane!.password, secret: true },
      ...common, "pipeline:port": { value: String(await freePort()) }, "pipeline:servers": servers(prodServers),
    });
    await devStack.up();
    await prodStack.up();
  });
  afterAll(async () => {
    dispose?.();
    await Promise.all([dev?.stop(), prod?.stop()]);
  });

  test("a pull request's change: one comment with both stacks, naming the changed fields, with no password in it", async () => {
    // The pull request: dev's server weight and maxconn change; prod gets a fourth server.
    await devStack.setConfig("pipeline:servers", servers(devServers, [50]));
    await devStack.setConfig("pipeline:maxconn", { value: "800" });
    await prodStack.setConfig("pipeline:servers", servers([...prodServers, await freePort()]));

    const r = await sh("bash ci/preview.sh dev prod", dir, env);
    if (r.code !== 0) throw new Error(`ci/preview.sh exited ${r.code}:\n${r.stdout.slice(-3000)}\n${r.stderr}`);
    const comment = r.stdout;
    expect(comment.split("\n")[0]).toBe("<!-- haproxy-pulumi-preview -->");
    const [devPart, prodPart] = comment.split("<details").slice(1);
    expect(comment.split("<details")).toHaveLength(3);

    expect(devPart).toMatch(/<summary><b>dev<\/b>: ~ 2 to update/);
    expect(devPart).toMatch(/Previewing update \(dev\)/);
    expect(devPart).toMatch(/~ weight\s*: 100 => 50/);
    expect(devPart).toMatch(/~ maxconn\s*: 500 => 800/);
    expect(devPart).not.toMatch(/app-4/);

    expect(prodPart).toMatch(/<summary><b>prod<\/b>: ~ 1 to update/);
    expect(prodPart).toMatch(/Previewing update \(prod\)/);
    // Inline servers are diffed by name: the new one is added, the three others unchanged.
    expect(prodPart).toMatch(/~ servers\s*: \{[\s\S]*\+ app-4: \{/);
    expect(prodPart).not.toMatch(/[~-] app-[123]:/);
    expect(prodPart).not.toMatch(/maxconn\s*:.*=>/);

    for (const secret of [dev.dataplane!.password, prod.dataplane!.password, env.PULUMI_CONFIG_PASSPHRASE]) {
      expect(comment).not.toContain(secret);
    }
    // Only a preview: neither HAProxy changed.
    expect(haproxyCfg(dev)).toMatch(/maxconn 500/);
    expect(haproxyCfg(prod)).not.toMatch(/app-4/);
  });

  test("a failing preview is in the comment too, and the script exits 1", async () => {
    await prodStack.setConfig("pipeline:port", { value: "70000" });
    try {
      const r = await sh("bash ci/preview.sh dev prod", dir, env);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/<summary><b>dev<\/b>: ~ 2 to update/);
      expect(r.stdout).toMatch(/<summary><b>prod<\/b>: \*\*preview failed\*\* \(exit \d+\)/);
      expect(r.stdout).toMatch(/Frontend "web": binds\.0\.port: must be from 1 to 65535/);
      expect(r.stdout).not.toContain(prod.dataplane!.password);
    } finally {
      await prodStack.removeConfig("pipeline:port");
    }
  });

  test("the merge: the workflow's `pulumi up` lines, dev then prod, apply the change to each HAProxy", async () => {
    await prodStack.setConfig("pipeline:port", { value: String(await freePort()) });
    const ups = [...workflow.matchAll(/run: (pulumi up .*)$/gm)].map((m) => m[1]);
    expect(ups).toEqual([expect.stringMatching(/--stack dev /), expect.stringMatching(/--stack prod /)]);
    for (const line of ups) {
      const r = await sh(line, dir, env);
      if (r.code !== 0) throw new Error(`${line} exited ${r.code}:\n${r.stdout.slice(-3000)}\n${r.stderr}`);
    }
    expect(haproxyCfg(dev)).toMatch(/maxconn 800/);
    expect(haproxyCfg(dev)).toMatch(/server app-1 127\.0\.0\.1:\d+ .*weight 50/);
    expect(haproxyCfg(prod)).toMatch(/server app-4 /);
    expect(haproxyCfg(prod)).not.toContain(dev.dataplane!.url);
  });
});
