// A registry of the PIDs benches start, one file per PID, so that the suite's
// global teardown can kill and report anything a crashed or timed-out test left.
import { mkdirSync, writeFileSync, rmSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const pidRegistry = join(tmpdir(), "pulumi-haproxy-dataplane-pids");

const mine = new Set<number>();

/**
 * The test run a PID belongs to: jest's main process, which the global setup
 * names in BENCH_RUN_OWNER for its workers. Concurrent runs on one machine
 * share the registry, so a run's teardown must reap only its own processes.
 */
const runOwner = (): number => Number(process.env.BENCH_RUN_OWNER) || process.pid;
let exitHookInstalled = false;

export function rememberPid(pid: number, what: string): void {
  // kill(0) and kill(-1) signal a whole process group or every process: never record such a "pid".
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`bench: refusing to record pid ${pid} for ${what}`);
  mkdirSync(pidRegistry, { recursive: true });
  writeFileSync(join(pidRegistry, String(pid)), `${what}\nowner ${runOwner()}`);
  mine.add(pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Last resort when a test is torn down without reaching bench.stop().
    process.on("exit", () => {
      for (const p of mine) {
        try { process.kill(p, "SIGKILL"); } catch { /* gone */ }
        forgetPid(p);
      }
    });
  }
}

export function forgetPid(pid: number): void {
  mine.delete(pid);
  rmSync(join(pidRegistry, String(pid)), { force: true });
}

export function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/**
 * Kills every registered process of this run (or of a run that no longer exists) still alive; returns what it
 * had to kill. Processes of another run still in progress are left alone.
 */
export function reapLeftovers(): string[] {
  let entries: string[] = [];
  try { entries = readdirSync(pidRegistry); } catch { return []; }
  const killed: string[] = [];
  for (const name of entries) {
    const pid = Number(name);
    const [what, ownerLine] = readFileSync(join(pidRegistry, name), "utf8").split("\nowner ");
    const owner = Number(ownerLine);
    if (owner && owner !== runOwner() && isAlive(owner)) continue;
    if (isAlive(pid)) {
      try { process.kill(pid, "SIGKILL"); } catch { /* raced */ }
      killed.push(`${pid} ${what}`);
    }
    rmSync(join(pidRegistry, name), { force: true });
  }
  return killed;
}
