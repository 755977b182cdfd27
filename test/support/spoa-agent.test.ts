// Proves the test-suite SPOA speaks SPOP: first byte-level checks over a raw
// socket (hand-built frames, fragmented and coalesced reads), then against a
// real HAProxy 2.6 whose SPOE filter denies what the agent tells it to.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { haproxyBinary } from "../bench/tools";
import { forgetPid, rememberPid } from "../bench/pids";
import { decodeVarint, encodeVarint, startSpoaAgent, type SpoaAgent, type SpoaHandler } from "./spoa-agent";

// ---------- hand-built SPOP bytes, independent of the agent's encoder ----------

const str = (s: string): number[] => [s.length, ...Buffer.from(s)]; // names/strings under 240 bytes
const kvString = (k: string, v: string): number[] => [...str(k), 8, ...str(v)];
const FIN = [0, 0, 0, 1];

function framed(body: number[]): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, Buffer.from(body)]);
}

function haproxyHello(opts: { versions?: string; healthcheck?: boolean } = {}): Buffer {
  return framed([
    1, ...FIN, 0, 0,
    ...kvString("supported-versions", opts.versions ?? "2.0"),
    ...str("max-frame-size"), 3, 0xfc, 0xf0, 0x06, // 16380 as an SPOP varint
    ...kvString("capabilities", "pipelining,async"),
    ...(opts.healthcheck ? [...str("healthcheck"), 0x11] : []),
    ...kvString("engine-id", "test-engine"),
  ]);
}

/** NOTIFY with stream-id 300 (two varint bytes) and the given frame-id, one message "check-request". */
function notify(frameId: number, path: string): Buffer {
  return framed([
    3, ...FIN, 0xfc, 0x03, frameId,
    ...str("check-request"), 4,
    ...kvString("path", path),
    ...str("client"), 6, 10, 0, 0, 1,
    ...str("client6"), 7, ...Array(15).fill(0), 1,
    ...str("admin"), 0x11,
  ]);
}

const haproxyDisconnect = framed([2, ...FIN, 0, 0, ...str("status-code"), 3, 0, ...kvString("message", "bye")]);

interface RawFrame { type: number; flags: number; streamId: bigint; frameId: bigint; payload: Buffer }

/** A raw SPOP peer: sends bytes as told, collects whole frames the agent sends back. */
class RawPeer {
  frames: RawFrame[] = [];
  closed: Promise<void>;
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (d) => { this.buf = Buffer.concat([this.buf, d]); this.split(); });
    this.closed = new Promise((resolve) => socket.on("close", () => resolve()));
  }

  static connect(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, "127.0.0.1", () => resolve(new RawPeer(s)));
      s.once("error", reject);
    });
  }

  /** Writes `bytes` in pieces of `size`, letting each piece go out on its own. */
  async dribble(bytes: Buffer, size: number): Promise<void> {
    for (let k = 0; k < bytes.length; k += size) {
      this.socket.write(bytes.subarray(k, k + size));
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  async waitFrames(n: number): Promise<RawFrame[]> {
    while (this.frames.length < n) await new Promise<void>((r) => this.waiters.push(r));
    return this.frames;
  }

  private split(): void {
    while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readUInt32BE(0)) {
      const f = this.buf.subarray(4, 4 + this.buf.readUInt32BE(0));
      this.buf = this.buf.subarray(4 + f.length);
      const sid = decodeVarint(f, 5);
      const fid = decodeVarint(f, sid.next);
      this.frames.push({ type: f[0], flags: f.readUInt32BE(1), streamId: sid.value, frameId: fid.value, payload: f.subarray(fid.next) });
    }
    this.waiters.splice(0).forEach((w) => w());
  }
}

const authHandler: SpoaHandler = (msg) =>
  msg.name === "check-request"
    // Set false as well as true: a sess variable outlives the request on a
    // keep-alive connection, so a stale "true" would deny the next /ok.
    ? [{ scope: "sess", name: "denied", value: String(msg.args.path).startsWith("/admin") }]
    : [];

describe("SPOP varint (Peers encoding, not protobuf)", () => {
  const vectors: Array<[bigint, number[]]> = [
    [0n, [0x00]],
    [239n, [0xef]],
    [240n, [0xf0, 0x00]],
    [2287n, [0xff, 0x7f]],
    [2288n, [0xf0, 0x80, 0x00]],
    [16380n, [0xfc, 0xf0, 0x06]],
    [264431n, [0xff, 0xff, 0x7f]],
    [264432n, [0xf0, 0x80, 0x80, 0x00]],
  ];
  it.each(vectors)("%s encodes to the documented bytes and back", (value, bytes) => {
    expect([...encodeVarint(value)]).toEqual(bytes);
    expect(decodeVarint(Buffer.from(bytes))).toEqual({ value, next: bytes.length });
  });

  it("round-trips the edges of every byte length up to uint64", () => {
    const edges = [33818863n, 33818864n, 4328786159n, 4328786160n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n];
    for (const v of edges) expect(decodeVarint(encodeVarint(v)).value).toBe(v);
    // Negative integers travel as their two's-complement uint64, as HAProxy's sint does.
    expect(BigInt.asIntN(64, decodeVarint(encodeVarint(-5)).value)).toBe(-5n);
  });
});

describe("SPOA over a raw socket", () => {
  let agent: SpoaAgent;
  beforeEach(async () => { agent = await startSpoaAgent(authHandler); });
  afterEach(async () => { await agent.stop(); });

  it("handles a byte-by-byte HELLO, coalesced NOTIFYs and a DISCONNECT", async () => {
    const peer = await RawPeer.connect(agent.port);
    await peer.dribble(haproxyHello(), 1);
    const [hello] = await peer.waitFrames(1);
    expect(hello.type).toBe(101);
    expect(hello.flags).toBe(1);
    expect(hello.payload).toEqual(Buffer.from([
      ...kvString("version", "2.0"),
      ...str("max-frame-size"), 3, 0xfc, 0xf0, 0x06,
      ...kvString("capabilities", "pipelining"),
    ]));

    // Two NOTIFY frames in one write, the second one split across a third write.
    const both = Buffer.concat([notify(7, "/admin/x"), notify(8, "/ok")]);
    peer.socket.write(both.subarray(0, both.length - 5));
    await new Promise((r) => setTimeout(r, 20));
    peer.socket.write(both.subarray(both.length - 5));
    const [, ack1, ack2] = await peer.waitFrames(3);
    const setDenied = (v: boolean) => Buffer.from([1, 3, 1, ...str("denied"), v ? 0x11 : 0x01]);
    expect(ack1).toEqual({ type: 103, flags: 1, streamId: 300n, frameId: 7n, payload: setDenied(true) });
    expect(ack2).toEqual({ type: 103, flags: 1, streamId: 300n, frameId: 8n, payload: setDenied(false) });
    expect(agent.messages[0]).toEqual({
      name: "check-request",
      args: { path: "/admin/x", client: "10.0.0.1", client6: "::1", admin: true },
    });
    expect(agent.count("check-request")).toBe(2);

    peer.socket.write(haproxyDisconnect);
    const [, , , bye] = await peer.waitFrames(4);
    expect(bye.type).toBe(102);
    expect(bye.payload.subarray(0, 14)).toEqual(Buffer.from([...str("status-code"), 3, 0]));
    await peer.closed;
  });

  it("answers a health-check HELLO and closes", async () => {
    const peer = await RawPeer.connect(agent.port);
    peer.socket.write(haproxyHello({ healthcheck: true }));
    const [hello] = await peer.waitFrames(1);
    expect(hello.type).toBe(101);
    await peer.closed;
    expect(agent.healthchecks).toBe(1);
  });

  it("refuses an SPOP version it does not speak with AGENT-DISCONNECT status 8", async () => {
    const peer = await RawPeer.connect(agent.port);
    peer.socket.write(haproxyHello({ versions: "1.0" }));
    const [bye] = await peer.waitFrames(1);
    expect(bye.type).toBe(102);
    expect(bye.payload.subarray(0, 14)).toEqual(Buffer.from([...str("status-code"), 3, 8]));
    await peer.closed;
  });
});

// ---------- against real HAProxy ----------

const haproxy = haproxyBinary();
const describeHaproxy = haproxy ? describe : describe.skip;
const title = haproxy ? "SPOA against real HAProxy" : "SPOA against real HAProxy [skipped: no haproxy binary, run scripts/setup.sh]";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function spoeConf(args: string): string {
  return `[auth]
spoe-agent auth-agent
    messages check-request
    option var-prefix auth
    timeout hello 2s
    timeout idle 2m
    timeout processing 500ms
    use-backend spoa-auth
spoe-message check-request
    args ${args}
    event on-frontend-http-request
`;
}

function haproxyCfg(dir: string, webPort: number, agentPort: number): string {
  return `global
    log stderr format raw local0 notice

defaults
    mode http
    log global
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend web
    bind 127.0.0.1:${webPort}
    filter spoe engine auth config ${join(dir, "spoe-auth.conf")}
    http-request deny if { var(sess.auth.denied) -m bool }
    http-request return status 200 content-type text/plain string ok

backend spoa-auth
    mode tcp
    # The doc asks for connect > hello timeout and server > idle timeout.
    timeout connect 5s
    timeout server 3m
    option spop-check
    server agent 127.0.0.1:${agentPort} check inter 500ms
`;
}

interface Haproxy { proc: ChildProcess; output: () => string }

async function waitUntil(what: string, ok: () => boolean | Promise<boolean>, ms = 10000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => { s.destroy(); resolve(true); });
    s.once("error", () => resolve(false));
  });
}

async function startHaproxy(cfg: string, port: number): Promise<Haproxy> {
  // -db: stay in the foreground, so the PID we hold is HAProxy itself.
  const proc = spawn(haproxy!, ["-db", "-f", cfg], { stdio: ["ignore", "pipe", "pipe"] });
  rememberPid(proc.pid!, `haproxy -f ${cfg}`);
  let out = "";
  proc.stdout!.on("data", (d) => { out += d; });
  proc.stderr!.on("data", (d) => { out += d; });
  const h = { proc, output: () => out };
  try {
    await waitUntil(`haproxy on 127.0.0.1:${port}`, () => {
      if (proc.exitCode !== null) throw new Error(`haproxy exited ${proc.exitCode}:\n${out}`);
      return answers(port);
    });
  } catch (err) {
    await stopHaproxy(h);
    throw err;
  }
  return h;
}

async function stopHaproxy(h: Haproxy | undefined): Promise<void> {
  if (!h?.proc.pid) return;
  const pid = h.proc.pid;
  if (h.proc.exitCode === null && h.proc.signalCode === null) {
    const exited = new Promise((r) => h.proc.once("exit", r));
    process.kill(pid, "SIGTERM");
    const t = setTimeout(() => { try { process.kill(pid, "SIGKILL"); } catch { /* gone */ } }, 3000);
    await exited;
    clearTimeout(t);
  }
  forgetPid(pid);
}

async function get(port: number, path: string, method = "GET"): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  await res.text();
  return res.status;
}

describeHaproxy(title, () => {
  let dir: string;
  let agent: SpoaAgent | undefined;
  let hap: Haproxy | undefined;
  let webPort: number;
  let cfg: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "spoa-agent-"));
    agent = await startSpoaAgent(authHandler);
    webPort = await freePort();
    cfg = join(dir, "haproxy.cfg");
    writeFileSync(join(dir, "spoe-auth.conf"), spoeConf("path=path"));
    writeFileSync(cfg, haproxyCfg(dir, webPort, agent.port));
    hap = await startHaproxy(cfg, webPort);
  });

  afterAll(async () => {
    try {
      await stopHaproxy(hap);
    } finally {
      await agent?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** Runs a test body; on failure, HAProxy's own log (SPOE errors, checks) joins the error. */
  const withLog = (fn: () => Promise<void>) => async () => {
    try {
      await fn();
    } catch (err) {
      if (err instanceof Error) err.message += `\n--- haproxy output ---\n${hap?.output() ?? "(not running)"}`;
      throw err;
    }
  };

  it("denies /admin, allows the rest, one message per request", withLog(async () => {
    const paths = ["/admin", "/ok", "/admin/users", "/ok/1", "/", "/administrator", "/ok?x=1", "/admin", "/public", "/ok"];
    const statuses: number[] = [];
    for (const p of paths) statuses.push(await get(webPort, p));
    expect(statuses).toEqual(paths.map((p) => (p.startsWith("/admin") ? 403 : 200)));
    expect(agent!.count("check-request")).toBe(paths.length);
    expect(agent!.messages.map((m) => m.args)).toEqual(paths.map((p) => ({ path: p.split("?")[0] })));
    // The spop-check health check reached the agent and was answered.
    await waitUntil("an spop-check health check", () => agent!.healthchecks > 0);
  }));

  it("sends the new args after the SPOE conf changes and HAProxy restarts", withLog(async () => {
    await stopHaproxy(hap);
    hap = undefined;
    writeFileSync(join(dir, "spoe-auth.conf"), spoeConf("path=path method=method"));
    hap = await startHaproxy(cfg, webPort);

    const before = agent!.messages.length;
    const sent: Array<[string, string]> = [["GET", "/ok"], ["POST", "/admin"], ["PUT", "/ok/put"], ["DELETE", "/admin/x"], ["HEAD", "/ok"]];
    const statuses: number[] = [];
    for (const [method, p] of sent) statuses.push(await get(webPort, p, method));
    expect(statuses).toEqual(sent.map(([, p]) => (p.startsWith("/admin") ? 403 : 200)));
    expect(agent!.count("check-request")).toBe(before + sent.length);
    expect(agent!.messages.slice(before).map((m) => m.args)).toEqual(sent.map(([method, path]) => ({ path, method })));
  }));
});
