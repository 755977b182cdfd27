// Where the bench finds the real programs. The set-up script caches them here;
// tests that need a missing one skip with a visible reason (see skip-reporter).
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";

export const cacheRoot = join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "pulumi-haproxy-dataplane");

export const PULUMI_VERSION = "v3.274.1";
export const CONSUL_VERSION = "v1.14.11";

export type Generation = "v2" | "v3";

function executable(path: string | undefined): string | undefined {
  return path && existsSync(path) ? path : undefined;
}

export function dataplaneapiBinary(gen: Generation): string | undefined {
  return executable(process.env[`DATAPLANEAPI_${gen.toUpperCase()}_BIN`]) ??
    executable(join(cacheRoot, "dataplaneapi", gen, "dataplaneapi"));
}

export function consulBinary(): string | undefined {
  return executable(process.env.CONSUL_BIN) ?? executable(join(cacheRoot, "consul", CONSUL_VERSION, "consul"));
}

export function pulumiBinary(): string | undefined {
  return executable(process.env.PULUMI_BIN) ?? executable(join(cacheRoot, "pulumi", PULUMI_VERSION, "pulumi"));
}

export function haproxyBinary(): string | undefined {
  try {
    return execFileSync("sh", ["-c", "command -v haproxy"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Generations whose binary is present, so suites can `describe.each` them. */
export function availableGenerations(): Generation[] {
  return (["v3", "v2"] as Generation[]).filter((g) => dataplaneapiBinary(g) !== undefined);
}
