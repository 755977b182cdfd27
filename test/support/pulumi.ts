// Runs real Pulumi programs in folders through the Automation API, with the
// CLI and plugins the set-up built, fully offline: a file backend, a
// PULUMI_HOME and a passphrase per stack.
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, cpSync, rmSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { LocalWorkspace, type Stack, type ConfigMap } from "@pulumi/pulumi/automation";
import { pulumiBinary } from "../bench/tools";
import type { Bench } from "../bench/bench";

const repoRoot = resolve(__dirname, "..", "..");

export function pulumiEnv(home: string): Record<string, string> {
  const pulumi = pulumiBinary();
  if (!pulumi) throw new Error("no pulumi CLI; run scripts/setup.sh");
  return {
    PATH: [dirname(pulumi), dirname(process.execPath), process.env.PATH].join(":"),
    PULUMI_HOME: join(home, ".pulumi"),
    PULUMI_BACKEND_URL: `file://${join(home, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "bench-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
  };
}

export interface Declared { type: "Backend" | "Server" | "Frontend" | "MapFile" | "Certificate" | "ConsulDiscovery" | "GeneralFile" | "SpoeFile"; name: string; args?: unknown; opts?: unknown }

export interface ProgramStack {
  stack: Stack;
  dir: string;
  env: Record<string, string>;
  /** The stack's checkpoint exactly as stored by the backend (secrets stay encrypted), i.e. what `pulumi stack export` gives. */
  storedState(): string;
  /** Replaces the declared resources (the next up/preview uses them). */
  declare(resources: Declared[], opts?: { secret?: boolean }): Promise<void>;
  dispose(): Promise<void>;
}

/** A stack of test/programs/<program> in its own folder, pointed at the bench's Data Plane API. */
export async function programStack(bench: Bench, opts: { program?: string; stackName?: string; config?: ConfigMap; ownPackageCopy?: boolean } = {}): Promise<ProgramStack> {
  const dir = mkdtempSync(join(tmpdir(), "pulumi-program-"));
  cpSync(join(repoRoot, "test", "programs", opts.program ?? "declared"), dir, { recursive: true });
  // The packed package and its dependencies, as a user's node_modules has them.
  if (opts.ownPackageCopy) {
    // A copy of the package this stack alone uses, so a test can change it (a package upgrade) without touching others.
    mkdirSync(join(dir, "node_modules"));
    for (const entry of readdirSync(join(repoRoot, "node_modules"))) {
      if (entry === "pulumi-haproxy-dataplane") cpSync(join(repoRoot, "node_modules", entry), join(dir, "node_modules", entry), { recursive: true });
      else symlinkSync(join(repoRoot, "node_modules", entry), join(dir, "node_modules", entry));
    }
  } else {
    symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
  }
  writeFileSync(join(dir, "Pulumi.yaml"), "name: bench-program\nruntime: nodejs\nmain: index.js\n");
  const env = pulumiEnv(dir);
  mkdirSync(join(dir, "state"));
  Object.assign(process.env, { PATH: env.PATH });
  const stack = await LocalWorkspace.createOrSelectStack({ stackName: opts.stackName ?? "test", workDir: dir }, { envVars: env });
  const dp = bench.dataplane!;
  await stack.setAllConfig({
    "haproxy-dataplane:url": { value: dp.url },
    "haproxy-dataplane:username": { value: dp.username },
    "haproxy-dataplane:password": { value: dp.password, secret: true },
    "bench-program:resources": { value: "[]" },
    ...opts.config,
  });
  return {
    stack, dir, env,
    storedState: () => readStoredState(join(dir, "state"), opts.stackName ?? "test"),
    // Programs that carry credentials in their declarations store them as a secret, as a user's config would.
    declare: (resources, o) => stack.setConfig("bench-program:resources", { value: JSON.stringify(resources), secret: o?.secret }),
    async dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readStoredState(stateDir: string, stackName: string): string {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory() && e.name !== "backups" && e.name !== "history") walk(p);
      else if (e.name === `${stackName}.json`) found.push(p);
    }
  };
  walk(join(stateDir, ".pulumi", "stacks"));
  if (found.length !== 1) throw new Error(`expected one checkpoint for stack ${stackName}, found ${found.length}`);
  return readFileSync(found[0], "utf8");
}

/**
 * A stack of examples/<name>, run as a user runs it: its own folder, the packed
 * package in node_modules, stack config pointing at the bench's Data Plane API.
 */
export async function exampleStack(example: string, bench: Bench, config: ConfigMap = {}, stackName = "dev"): Promise<{ stack: Stack; dir: string; dispose(): void }> {
  const dir = mkdtempSync(join(tmpdir(), `example-${example}-`));
  cpSync(join(repoRoot, "examples", example), dir, { recursive: true });
  // What `npm install` of the packed package gives: the repo's node_modules holds it.
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
  mkdirSync(join(dir, "state"));
  const env = pulumiEnv(dir);
  process.env.PATH = env.PATH;
  const stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir: dir }, { envVars: env });
  const dp = bench.dataplane!;
  await stack.setAllConfig({
    "haproxy-dataplane:url": { value: dp.url },
    "haproxy-dataplane:username": { value: dp.username },
    "haproxy-dataplane:password": { value: dp.password, secret: true },
    ...config,
  });
  return { stack, dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
