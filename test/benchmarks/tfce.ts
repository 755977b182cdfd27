// Baseline for the benchmarks, not a test: the same backends and servers written by
// "TF-ce", the Terraform provider cepitacio/terraform-provider-haproxy v1.0.0 (one
// `haproxy_stack` per backend, its servers nested), driven by OpenTofu 1.10.10.
// Neither binary is built or fetched by this repo: they are expected in the cache
// (tofu/1.10.10/tofu, tf-ce/1.0.0/terraform-provider-haproxy); TOFU_BIN and
// TFCE_PROVIDER_BIN override where they are looked for.
// Runs fully offline: the provider comes from a CLI config's dev_overrides (so no
// `tofu init`, no registry), checkpoint calls and prompts are off.
import { spawn } from "node:child_process";
import { accessSync, constants, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cacheRoot } from "../bench/tools";

export const TOFU_VERSION = "1.10.10";
export const TFCE_VERSION = "1.0.0";
/** The address the config requires the provider under; dev_overrides maps it to the local binary. */
const PROVIDER_SOURCE = "registry.opentofu.org/cepitacio/haproxy";

export const tofuBinary = (): string =>
  process.env.TOFU_BIN || join(cacheRoot, "tofu", TOFU_VERSION, "tofu");
export const tfceProviderBinary = (): string =>
  process.env.TFCE_PROVIDER_BIN || join(cacheRoot, "tf-ce", TFCE_VERSION, "terraform-provider-haproxy");

function executableProblem(what: string, path: string): string | undefined {
  try {
    accessSync(path, constants.X_OK);
    return undefined;
  } catch {
    return `${what} not found or not executable at ${path}`;
  }
}

export function tfceAvailable(): { ok: true } | { ok: false; reason: string } {
  const problems = [
    executableProblem(`tofu ${TOFU_VERSION} (TOFU_BIN)`, tofuBinary()),
    executableProblem(`terraform-provider-haproxy ${TFCE_VERSION} (TFCE_PROVIDER_BIN)`, tfceProviderBinary()),
  ].filter((p): p is string => p !== undefined);
  return problems.length === 0 ? { ok: true } : { ok: false, reason: problems.join("; ") };
}

export interface TfceOptions {
  /** Data Plane API base URL without the /v3 prefix, e.g. http://127.0.0.1:5555. */
  url: string;
  username: string;
  password: string;
  backends: number;
  serversPerBackend: number;
  serverPort: (b: number, s: number) => number;
  /** An empty or missing folder; the config, CLI config and state go here. */
  workDir: string;
  /** Data Plane API generation the provider speaks; v3 by default (the provider's default). */
  apiVersion?: "v2" | "v3";
  /** Called between apply and plan, outside the timings: e.g. to check what the apply wrote. */
  afterApply?: () => Promise<void> | void;
}

export interface TfceTimes {
  applySeconds: number;
  planSeconds: number;
  destroySeconds: number;
}

const hcl = (s: string) => JSON.stringify(s); // an HCL quoted string is a JSON string for these values

/**
 * One haproxy_stack per backend: a roundrobin backend with its servers as a nested map,
 * plus the frontend (fe<b>, no bind, default_backend be<b>) the provider insists on.
 */
export function tfceConfig(opts: TfceOptions): string {
  const out = [
    `terraform {`,
    `  required_providers {`,
    `    haproxy = { source = ${hcl(PROVIDER_SOURCE)} }`,
    `  }`,
    `}`,
    ``,
    `provider "haproxy" {`,
    `  url         = ${hcl(opts.url)}`,
    `  username    = ${hcl(opts.username)}`,
    `  password    = ${hcl(opts.password)}`,
    `  api_version = ${hcl(opts.apiVersion ?? "v3")}`,
    `}`,
  ];
  for (let b = 0; b < opts.backends; b++) {
    out.push(
      ``,
      `resource "haproxy_stack" "be${b}" {`,
      `  name = "be${b}"`,
      `  backend {`,
      `    name = "be${b}"`,
      `    mode = "http"`,
      `    balance {`,
      `      algorithm = "roundrobin"`,
      `    }`,
      `    servers = {`,
    );
    for (let s = 0; s < opts.serversPerBackend; s++) {
      out.push(`      s${s} = { address = "127.0.0.1", port = ${opts.serverPort(b, s)} }`);
    }
    out.push(
      `    }`,
      `  }`,
      // The provider validates frontend's required attributes even when the block is left out,
      // so every stack carries one: the smallest that passes, with no bind. `binds = {}` spelled
      // out, since the provider reads an absent map back as {} and plans `{} -> null` forever.
      `  frontend {`,
      `    name            = "fe${b}"`,
      `    mode            = "http"`,
      `    default_backend = "be${b}"`,
      `    binds           = {}`,
      `  }`,
      `}`,
    );
  }
  return out.join("\n") + "\n";
}

interface Ran { seconds: number; code: number | null; stdout: string; stderr: string }

function tofu(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolvePromise, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(tofuBinary(), args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, code, stdout, stderr }));
  });
}

const tail = (text: string, n = 3000) => (text.length > n ? "…" + text.slice(-n) : text);

function failure(args: string[], r: Ran, why: string): Error {
  return new Error(`tfce: tofu ${args.join(" ")} ${why} (exit ${r.code})\n--- stderr ---\n${tail(r.stderr)}\n--- stdout ---\n${tail(r.stdout, 1500)}`);
}

/** Runs one command; `ok` lists the exit codes that count as success. */
async function step(args: string[], cwd: string, env: NodeJS.ProcessEnv, ok: number[] = [0]): Promise<Ran> {
  const r = await tofu(args, cwd, env);
  if (r.code === null || !ok.includes(r.code)) throw failure(args, r, "failed");
  return r;
}

/**
 * Writes the config into workDir, then times `tofu apply -auto-approve` (default
 * parallelism 10), a `tofu plan` that must find nothing to do, and `tofu destroy -auto-approve`.
 */
export async function runTfce(opts: TfceOptions): Promise<TfceTimes> {
  const avail = tfceAvailable();
  if (!avail.ok) throw new Error(`tfce: ${avail.reason}`);
  const dir = resolve(opts.workDir);
  mkdirSync(dir, { recursive: true });
  if (readdirSync(dir).length > 0) throw new Error(`tfce: workDir ${dir} is not empty; a leftover state would change what apply does`);

  // dev_overrides wants a folder holding terraform-provider-<type>; link whichever binary was chosen.
  const pluginDir = join(dir, "plugin");
  mkdirSync(pluginDir);
  symlinkSync(resolve(tfceProviderBinary()), join(pluginDir, "terraform-provider-haproxy"));
  // dev_overrides alone: no installation method is left for any other provider, so nothing is ever downloaded.
  const cliConfig = join(dir, "tofu.tfrc");
  writeFileSync(cliConfig, [
    `provider_installation {`,
    `  dev_overrides {`,
    `    ${hcl(PROVIDER_SOURCE)} = ${hcl(pluginDir)}`,
    `  }`,
    `}`,
    `disable_checkpoint = true`,
    ``,
  ].join("\n"));
  const confDir = join(dir, "config");
  mkdirSync(confDir);
  writeFileSync(join(confDir, "main.tf"), tfceConfig(opts));

  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("TF_") || k.startsWith("TOFU_")) delete env[k];
  Object.assign(env, {
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    TF_DATA_DIR: join(dir, "tofu-data"),
  });
  const common = ["-input=false", "-no-color"];

  const apply = await step(["apply", "-auto-approve", ...common], confDir, env);
  await opts.afterApply?.();
  // -detailed-exitcode: 0 = no changes, 2 = changes (a provider that does not converge), 1 = error.
  const planArgs = ["plan", "-detailed-exitcode", ...common];
  const plan = await step(planArgs, confDir, env, [0, 2]);
  if (plan.code === 2) throw failure(planArgs, plan, "found changes right after apply");
  const destroy = await step(["destroy", "-auto-approve", ...common], confDir, env);
  return { applySeconds: apply.seconds, planSeconds: plan.seconds, destroySeconds: destroy.seconds };
}
