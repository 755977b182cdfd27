// One isolated test bench: real HAProxy, real dataplaneapi (v2 or v3) and,
// when asked for, a real Consul agent, all on free 127.0.0.1 ports inside a
// temporary folder. Every process is stopped by PID in stop(), and recorded in
// a PID registry so the suite's global teardown can prove none outlived it.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, rmSync, chmodSync, openSync, closeSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { consulBinary, dataplaneapiBinary, haproxyBinary, type Generation } from "./tools";
import { Agent, fetch as undiciFetch } from "undici";
import { forgetPid, rememberPid } from "./pids";

export interface BenchOptions {
  /** Which dataplaneapi to run; false runs HAProxy alone. */
  dataplane?: Generation | false;
  /** Start `consul agent -dev` too. */
  consul?: boolean;
  /** With consul: turn Consul ACLs on (default policy deny) with this management token (also the agent token). */
  consulAclToken?: string;
  /** Extra top-level sections appended to haproxy.cfg. */
  extraConfig?: string;
  /** Files written before HAProxy starts, by path relative to the bench folder (e.g. "maps/hosts.map"),
   *  for a haproxy.cfg that references them. In these and in extraConfig, `{dir}` is the bench folder. */
  files?: Record<string, string>;
  /** DPAPI's `reload_delay` in seconds (its own default is 5; the bench's 1 keeps tests quick). */
  reloadDelay?: number;
  /** Serve the Data Plane API over HTTPS only, with a certificate for 127.0.0.1 from a throw-away CA. */
  tls?: boolean;
}

export interface Bench {
  dir: string;
  haproxy: {
    configPath: string;
    statsSocket: string;
    pidFile: string;
    mapsDir: string;
    sslDir: string;
  };
  dataplane?: {
    generation: Generation;
    url: string;
    username: string;
    password: string;
    /** PID of the running dataplaneapi; changes after start(). */
    pid: number;
    logPath: string;
    /** With `tls`: PEM of the throw-away CA that signed the API's certificate. */
    caCert?: string;
    /** SIGKILL, as a crash or an OOM kill does; resolves once it is gone. */
    kill(): Promise<void>;
    /** Starts it again on the same port, with the same configuration and storage. */
    start(): Promise<void>;
  };
  consul?: {
    url: string; address: string; port: number;
    /** PID of the running agent; changes after start(). */
    pid: number;
    /** Stops the agent (by PID). Its in-memory catalog is lost. */
    stop(): Promise<void>;
    /** Starts a fresh agent on the same ports (after stop()). */
    start(): Promise<void>;
  };
  /** Runs a command on HAProxy's runtime API (stats socket). */
  runtime(command: string): Promise<string>;
  /** Makes the next reload DPAPI runs fail, printing `output` as HAProxy would. */
  failNextReload(output: string): void;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>, logPath?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await sleep(100);
  }
  const tail = logPath && existsSync(logPath) ? "\n--- " + logPath + " ---\n" + readFileSync(logPath, "utf8").slice(-3000) : "";
  throw new Error(`bench: ${what} did not answer within ${timeoutMs} ms${tail}`);
}

// Only what DPAPI needs: no frontend, no backend. Tests that send traffic declare
// a Frontend or make one with the client (test/support/router.ts).
function haproxyConfig(dir: string, user: string, password: string, opts: BenchOptions): string {
  return [
    `global`,
    `  master-worker`,
    `  pidfile ${dir}/haproxy.pid`,
    `  stats socket ${dir}/haproxy.sock mode 600 level admin expose-fd listeners`,
    `  stats timeout 30s`,
    // Zero-drop reloads (README, "HAProxy settings for releases"): an old worker gives up its
    // last connections after this long at most.
    `  hard-stop-after 30s`,
    `defaults`,
    `  mode http`,
    `  timeout connect 5s`,
    `  timeout client 30s`,
    `  timeout server 30s`,
    // An old worker answers the next request on an idle keep-alive connection with
    // `Connection: close` instead of closing it under a client that may be sending.
    `  option idle-close-on-response`,
    `userlist controller`,
    `  user ${user} insecure-password ${password}`,
    opts.extraConfig ?? "",
    "",
  ].join("\n");
}

function dataplaneConfig(dir: string, gen: Generation, port: number, user: string, password: string, reloadDelay: number, tls: boolean): string {
  const storage = gen === "v3" ? `    dataplane_storage_dir: ${dir}/dataplane\n` : "";
  const listener = tls
    ? `  scheme: [https]\n  tls:\n    tls_host: 127.0.0.1\n    tls_port: ${port}\n    tls_certificate: ${dir}/tls/server.crt\n    tls_key: ${dir}/tls/server.key\n`
    : `  host: 127.0.0.1\n  port: ${port}\n  scheme: [http]\n`;
  return `config_version: 2
name: bench
dataplaneapi:
${listener}  user:
    - name: ${user}
      insecure: true
      password: ${password}
  transaction:
    transaction_dir: ${dir}/transactions
    backups_dir: ${dir}/backups
    max_open_transactions: 20
  resources:
    maps_dir: ${dir}/maps
    ssl_certs_dir: ${dir}/ssl
    general_storage_dir: ${dir}/general
    spoe_dir: ${dir}/spoe
    spoe_transaction_dir: ${dir}/spoe-tx
${storage}haproxy:
  config_file: ${dir}/haproxy.cfg
  haproxy_bin: ${haproxyBinary() ?? "/usr/sbin/haproxy"}
  reload:
    reload_delay: ${reloadDelay}
    reload_strategy: custom
    reload_cmd: ${dir}/reload.sh
    restart_cmd: ${dir}/reload.sh
    status_cmd: ${dir}/status.sh
    reload_retention: 1
log_targets:
  - log_to: file
    log_file: ${dir}/dataplaneapi.log
    log_level: info
    log_types: [access, app]
`;
}

/**
 * The reload command DPAPI runs. Like `systemctl reload` of a Type=notify unit,
 * it returns once the reload is done: the master re-executed and the workers
 * that served before have left. A bare `kill -USR2` returns at once, so DPAPI
 * would report "succeeded" while the old worker still takes requests.
 */
function reloadScript(pidFile: string, reloadLog: string): string {
  return `#!/bin/sh
# One line per run: forced reloads get no reload id, so tests count reloads here.
date +%s.%N >> "${reloadLog}"
# Tests make the next reload fail the way a rejected HAProxy reload does.
if [ -f "${pidFile}.fail-next-reload" ]; then cat "${pidFile}.fail-next-reload" >&2; rm -f "${pidFile}.fail-next-reload"; exit 1; fi
master="$(cat ${pidFile})"
# One awk over all of /proc: an awk per process took ~150 ms a call, most of a reload's time on a busy machine.
children() { cat /proc/[0-9]*/stat 2>/dev/null | awk -v m="$master" '$4 == m { print $1 }'; }
old="$(children)"
kill -USR2 "$master" || exit 1
i=0
while [ $i -lt 200 ]; do
  sleep 0.05; i=$((i + 1))
  kill -0 "$master" 2>/dev/null || exit 1
  now="$(children)"
  [ -n "$now" ] || continue
  left=0
  for p in $old; do echo "$now" | grep -qx "$p" && left=1; done
  [ $left -eq 0 ] && exit 0
done
exit 0
`;
}

/** A CA and a certificate it signed for 127.0.0.1 (openssl, installed by the set-up); returns the CA's PEM. */
function throwAwayCa(tlsDir: string): string {
  mkdirSync(tlsDir, { recursive: true });
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: tlsDir, stdio: "pipe" });
  ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=bench throw-away CA");
  ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  writeFileSync(join(tlsDir, "san.ext"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
  ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext");
  return readFileSync(join(tlsDir, "ca.crt"), "utf8");
}

function spawnTracked(bin: string, args: string[], dir: string, logName: string): ChildProcess {
  const out = openSync(join(dir, logName), "a");
  const child = spawn(bin, args, { cwd: dir, stdio: ["ignore", out, out], detached: false });
  closeSync(out);
  if (child.pid) rememberPid(child.pid, `${bin} ${args.join(" ")}`);
  return child;
}

function killPid(pid: number | undefined, signal: NodeJS.Signals = "SIGTERM"): void {
  if (!pid) return;
  try { process.kill(pid, signal); } catch { /* already gone */ }
}

async function stopPid(pid: number | undefined): Promise<void> {
  if (!pid) return;
  killPid(pid, "SIGTERM");
  for (let i = 0; i < 50; i++) {
    try { process.kill(pid, 0); } catch { forgetPid(pid); return; }
    await sleep(100);
  }
  killPid(pid, "SIGKILL");
  forgetPid(pid);
}

export function runtimeCommand(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const { connect } = require("node:net") as typeof import("node:net");
    const conn = connect(socket);
    let data = "";
    conn.on("connect", () => conn.end(command + "\n"));
    conn.on("data", (d) => (data += d.toString()));
    conn.on("end", () => resolve(data));
    conn.on("error", reject);
  });
}

export async function startBench(opts: BenchOptions = {}): Promise<Bench> {
  const haproxyBin = haproxyBinary();
  if (!haproxyBin) throw new Error("bench: haproxy is not on PATH; run scripts/setup.sh");
  const dir = mkdtempSync(join(tmpdir(), "haproxy-bench-"));
  for (const sub of ["maps", "ssl", "general", "spoe", "spoe-tx", "transactions", "backups", "dataplane"]) mkdirSync(join(dir, sub));
  const user = "admin";
  const password = `pw-${Math.random().toString(36).slice(2, 12)}`;
  const configPath = join(dir, "haproxy.cfg");
  const pidFile = join(dir, "haproxy.pid");
  const inDir = (text: string) => text.split("{dir}").join(dir);
  for (const [rel, content] of Object.entries(opts.files ?? {})) writeFileSync(join(dir, rel), inDir(content));
  writeFileSync(configPath, haproxyConfig(dir, user, password, { ...opts, extraConfig: opts.extraConfig && inDir(opts.extraConfig) }));
  writeFileSync(join(dir, "reload.sh"), reloadScript(pidFile, join(dir, "reloads.log")));
  writeFileSync(join(dir, "status.sh"), `#!/bin/sh\nkill -0 "$(cat ${pidFile})"\n`);
  chmodSync(join(dir, "reload.sh"), 0o755);
  chmodSync(join(dir, "status.sh"), 0o755);

  const children: ChildProcess[] = [];
  const killedOnPurpose = new Set<ChildProcess>();
  let haproxyPid: number | undefined;
  const statsSocket = join(dir, "haproxy.sock");

  const bench: Bench = {
    dir,
    haproxy: {
      configPath, statsSocket, pidFile,
      mapsDir: join(dir, "maps"), sslDir: join(dir, "ssl"),
    },
    runtime: (cmd) => runtimeCommand(statsSocket, cmd),
    failNextReload: (output) => writeFileSync(`${pidFile}.fail-next-reload`, output),
    async stop() {
      // A program that died before we stopped it is a finding: show why.
      for (const c of children) {
        if ((c.exitCode !== null || c.signalCode !== null) && !killedOnPurpose.has(c)) {
          const out = join(dir, String(c.spawnargs[0]).includes("consul") ? "consul.log" : "dataplaneapi.out");
          const text = existsSync(out) ? readFileSync(out, "utf8") : "(no output)";
          // A Go crash starts with its cause, far above the stack dump's tail.
          const cause = text.split("\n").filter((l) => /^(panic|fatal error)/.test(l)).slice(0, 3).join("\n");
          const tail = (cause ? `${cause}\n...\n` : "") + text.slice(-4000);
          process.stderr.write(`bench: ${c.spawnargs[0]} exited early (${c.exitCode ?? c.signalCode}):\n${tail}\n`);
        }
      }
      for (const c of children.reverse()) await stopPid(c.pid);
      await stopPid(haproxyPid);
      if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    // -D daemonizes the master; its PID comes from the pidfile. HAProxy's own output (start-up
    // alerts, and the master's after each reload) goes to haproxy.log in the bench folder, not to
    // the test run; a failed start shows its tail.
    const haproxyLog = openSync(join(dir, "haproxy.log"), "a");
    try {
      execFileSync(haproxyBin, ["-W", "-D", "-f", configPath, "-S", join(dir, "master.sock"), "-p", pidFile], { cwd: dir, stdio: ["ignore", haproxyLog, haproxyLog] });
    } catch (err) {
      throw new Error(`bench: haproxy did not start (${(err as Error).message.split("\n")[0]})\n--- ${join(dir, "haproxy.log")} ---\n${readFileSync(join(dir, "haproxy.log"), "utf8").slice(-3000)}`);
    } finally {
      closeSync(haproxyLog);
    }
    // The command returns when its parent exits; the daemonized master writes the pidfile just
    // after. (A pipe made execFileSync wait for that; a file does not.) Never record PID 0.
    await waitFor("haproxy pidfile", 10_000, async () => Number(readFileSync(pidFile, "utf8").trim()) > 0, join(dir, "haproxy.log"));
    haproxyPid = Number(readFileSync(pidFile, "utf8").trim());
    rememberPid(haproxyPid, `haproxy ${configPath}`);
    await waitFor("haproxy", 10_000, async () => (await bench.runtime("show info")).includes("Pid:"), join(dir, "haproxy.log"));

    if (opts.consul) {
      const consulBin = consulBinary();
      if (!consulBin) throw new Error("bench: no consul binary; run scripts/setup.sh");
      const http = await freePort();
      const url = `http://127.0.0.1:${http}`;
      let consulChild: ChildProcess | undefined;
      const launch = async (): Promise<number> => {
        // Only the HTTP port is what clients know. The others are fresh at every start: a port freed by a stopped
        // agent can meanwhile be the local end of some other connection (seen in CI: "bind: address already in use").
        const [serfLan, serfWan, server] = [await freePort(), await freePort(), await freePort()];
        const child = spawnTracked(consulBin, [
          "agent", "-dev", "-bind", "127.0.0.1", "-client", "127.0.0.1", "-advertise", "127.0.0.1",
          "-http-port", String(http), "-dns-port", "-1", "-grpc-port", "-1", "-grpc-tls-port", "-1",
          "-serf-lan-port", String(serfLan), "-serf-wan-port", String(serfWan), "-server-port", String(server),
          "-node", "bench", "-log-level", "warn", "-hcl", "disable_update_check = true",
          ...(opts.consulAclToken ? ["-hcl", `acl { enabled = true default_policy = "deny" ` +
            `tokens { initial_management = "${opts.consulAclToken}" agent = "${opts.consulAclToken}" } }`] : []),
        ], dir, "consul.log");
        children.push(child);
        consulChild = child;
        await waitFor("consul", 30_000, async () => {
          const res = await fetch(`${url}/v1/status/leader`);
          if (!res.ok || (await res.text()).length <= 4) return false;
          // With ACLs, the management token works only once the ACL system has bootstrapped.
          return !opts.consulAclToken || (await fetch(`${url}/v1/catalog/services`, { headers: { "x-consul-token": opts.consulAclToken } })).ok;
        }, join(dir, "consul.log"));
        return child.pid!;
      };
      const consul: NonNullable<Bench["consul"]> = {
        url, address: "127.0.0.1", port: http, pid: await launch(),
        // Stopped on purpose: bench.stop() must not report it (with its log) as a crash.
        async stop() { if (consulChild) killedOnPurpose.add(consulChild); await stopPid(consul.pid); },
        async start() { consul.pid = await launch(); },
      };
      bench.consul = consul;
    }

    if (opts.dataplane) {
      const gen = opts.dataplane;
      const bin = dataplaneapiBinary(gen);
      if (!bin) throw new Error(`bench: no dataplaneapi ${gen} binary; see README`);
      const port = await freePort();
      const yamlPath = join(dir, "dataplaneapi.yaml");
      const caCert = opts.tls ? throwAwayCa(join(dir, "tls")) : undefined;
      writeFileSync(yamlPath, dataplaneConfig(dir, gen, port, user, password, opts.reloadDelay ?? 1, Boolean(opts.tls)));
      const url = `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`;
      const auth = "Basic " + Buffer.from(`${user}:${password}`).toString("base64");
      const dispatcher = caCert ? new Agent({ connect: { ca: caCert } }) : undefined;
      const launch = async (): Promise<ChildProcess> => {
        const child = spawnTracked(bin, ["-f", yamlPath], dir, "dataplaneapi.out");
        children.push(child);
        await waitFor(`dataplaneapi ${gen}`, 30_000, async () => {
          if (child.exitCode !== null) throw new Error("exited");
          return (await undiciFetch(`${url}/${gen}/info`, { headers: { authorization: auth }, dispatcher })).status === 200;
        }, join(dir, "dataplaneapi.out"));
        return child;
      };
      let child = await launch();
      const dataplane: NonNullable<Bench["dataplane"]> = {
        generation: gen, url, username: user, password, pid: child.pid!, logPath: join(dir, "dataplaneapi.log"), caCert,
        async kill() {
          killedOnPurpose.add(child);
          const gone = new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once("exit", () => r())));
          killPid(child.pid, "SIGKILL");
          await gone;
          forgetPid(child.pid!);
        },
        async start() {
          child = await launch();
          dataplane.pid = child.pid!;
        },
      };
      bench.dataplane = dataplane;
    }
  } catch (err) {
    await bench.stop();
    throw err;
  }
  return bench;
}
