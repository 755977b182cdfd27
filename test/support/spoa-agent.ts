// A small SPOE agent (SPOA) for the test suite, written from HAProxy's
// doc/SPOE.txt (SPOP 2.0, as HAProxy 2.6 speaks it). It answers the HELLO
// handshake, decodes NOTIFY frames, hands each message to a handler and
// answers ACK frames carrying set-var actions. It uses only node:net.
import * as net from "node:net";

export interface SpoaMessage { name: string; args: Record<string, unknown> }

export interface SpoaAgent {
  port: number;
  messages: SpoaMessage[];
  /** Health-check HELLOs answered (HAProxy's "option spop-check"); an addition to the brief's API. */
  readonly healthchecks: number;
  count(name: string): number;
  stop(): Promise<void>;
}

export type SpoaHandler = (msg: SpoaMessage) => Array<{
  scope: "proc" | "sess" | "txn" | "req" | "res";
  name: string;
  value: boolean | number | string;
}>;

type SetVar = ReturnType<SpoaHandler>[number];

const FRAME_UNSET = 0;
const FRAME_HAPROXY_HELLO = 1;
const FRAME_HAPROXY_DISCONNECT = 2;
const FRAME_NOTIFY = 3;
const FRAME_AGENT_HELLO = 101;
const FRAME_AGENT_DISCONNECT = 102;
const FRAME_ACK = 103;

const FLAG_FIN = 0x1;

const TYPE_NULL = 0;
const TYPE_BOOL = 1;
const TYPE_INT32 = 2;
const TYPE_UINT32 = 3;
const TYPE_INT64 = 4;
const TYPE_UINT64 = 5;
const TYPE_IPV4 = 6;
const TYPE_IPV6 = 7;
const TYPE_STRING = 8;
const TYPE_BINARY = 9;
// The doc draws TYPED-DATA as <TYPE:4 bits><FLAGS:4 bits>, but HAProxy keeps
// the type in the LOW nibble and the flags in the HIGH one (a true boolean is 0x11).
const TYPE_MASK = 0x0f;
const BOOL_TRUE_FLAG = 0x10;

const ACTION_SET_VAR = 1;
const SCOPES = { proc: 0, sess: 1, txn: 2, req: 3, res: 4 } as const;

const STATUS_NORMAL = 0;
const STATUS_TOO_BIG = 3;
const STATUS_INVALID = 4;
const STATUS_NO_VERSION = 5;
const STATUS_NO_FRAME_SIZE = 6;
const STATUS_NO_CAPABILITIES = 7;
const STATUS_BAD_VERSION = 8;
const STATUS_BAD_FRAME_SIZE = 9;
const STATUS_NO_FRAGMENTATION = 10;
const STATUS_UNKNOWN = 99;

/** Ours; the same as HAProxy's default (tune.bufsize 16384 minus the 4-byte length prefix). */
const OUR_MAX_FRAME_SIZE = 16380;
const MIN_FRAME_SIZE = 256;
const AGENT_VERSION = "2.0";
/** HAProxy rejects a DISCONNECT whose message is longer than this. */
const MAX_REASON_BYTES = 255;

/** A protocol failure, carrying the SPOP status code to put in AGENT-DISCONNECT. */
class SpopError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

/**
 * SPOP varints are the "Peers" encoding, not protobuf's: values below 240 are
 * one byte; otherwise the first byte holds the low 4 bits OR 0xF0, and each
 * following byte holds 7 more bits, high bit set on all but the last. Each
 * step subtracts the range already covered (240, then 128), which is why the
 * decoder adds the continuation byte WITH its high bit instead of masking it.
 */
export function encodeVarint(value: bigint | number): Buffer {
  let i = BigInt.asUintN(64, BigInt(value));
  if (i < 240n) return Buffer.from([Number(i)]);
  const out = [Number((i & 0xffn) | 0xf0n)];
  i = (i - 240n) >> 4n;
  while (i >= 128n) {
    out.push(Number((i & 0xffn) | 0x80n));
    i = (i - 128n) >> 7n;
  }
  out.push(Number(i));
  return Buffer.from(out);
}

/** Decodes one varint at `offset`; returns the value (as uint64) and the offset after it. */
export function decodeVarint(buf: Buffer, offset = 0): { value: bigint; next: number } {
  let p = offset;
  if (p >= buf.length) throw new SpopError(STATUS_INVALID, "truncated varint");
  let value = BigInt(buf[p++]);
  if (value < 240n) return { value, next: p };
  let shift = 4n;
  let byte: number;
  do {
    if (p >= buf.length) throw new SpopError(STATUS_INVALID, "truncated varint");
    byte = buf[p++];
    value += BigInt(byte) << shift;
    shift += 7n;
  } while (byte >= 128);
  return { value: BigInt.asUintN(64, value), next: p };
}

function toNumberIfSafe(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** RFC 5952 text form: lowercase hex, longest run (2+) of zero groups as "::". */
function formatIpv6(bytes: Buffer): string {
  const groups = Array.from({ length: 8 }, (_, k) => bytes.readUInt16BE(k * 2));
  let bestStart = -1, bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (groups[k] !== 0) { k++; continue; }
    let end = k;
    while (end < 8 && groups[end] === 0) end++;
    if (end - k > bestLen) { bestStart = k; bestLen = end - k; }
    k = end;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** A bounds-checked cursor over one frame; running off the end is an invalid frame. */
class Reader {
  constructor(private readonly buf: Buffer, private pos = 0) {}

  get done(): boolean { return this.pos >= this.buf.length; }

  byte(): number {
    return this.bytes(1)[0];
  }

  uint32(): number {
    return this.bytes(4).readUInt32BE(0);
  }

  varint(): bigint {
    const { value, next } = decodeVarint(this.buf, this.pos);
    this.pos = next;
    return value;
  }

  bytes(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new SpopError(STATUS_INVALID, "truncated frame");
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A varint length then bytes: how HAProxy writes message, argument and KV names (no type byte). */
  lengthPrefixed(): Buffer {
    const len = this.varint();
    if (len > BigInt(this.buf.length - this.pos)) throw new SpopError(STATUS_INVALID, "truncated frame");
    return this.bytes(Number(len));
  }

  name(): string { return this.lengthPrefixed().toString("utf8"); }

  typed(): unknown {
    const tag = this.byte();
    switch (tag & TYPE_MASK) {
      case TYPE_NULL: return null;
      case TYPE_BOOL: return (tag & BOOL_TRUE_FLAG) !== 0;
      // HAProxy writes every integer sample as INT64 of the two's-complement uint64.
      case TYPE_INT32:
      case TYPE_INT64: return toNumberIfSafe(BigInt.asIntN(64, this.varint()));
      case TYPE_UINT32:
      case TYPE_UINT64: return toNumberIfSafe(this.varint());
      case TYPE_IPV4: return Array.from(this.bytes(4)).join(".");
      case TYPE_IPV6: return formatIpv6(this.bytes(16));
      case TYPE_STRING: return this.lengthPrefixed().toString("utf8");
      case TYPE_BINARY: return Buffer.from(this.lengthPrefixed());
      default: throw new SpopError(STATUS_INVALID, `unknown data type ${tag & TYPE_MASK}`);
    }
  }

  kvList(): Record<string, unknown> {
    const kv: Record<string, unknown> = {};
    while (!this.done) kv[this.name()] = this.typed();
    return kv;
  }
}

/** Builds one frame, length prefix included. */
class Writer {
  private readonly parts: Buffer[] = [];

  constructor(type: number, streamId: bigint = 0n, frameId: bigint = 0n) {
    this.byte(type);
    const flags = Buffer.alloc(4);
    // Every frame we send is whole: FIN set, no fragmentation.
    flags.writeUInt32BE(FLAG_FIN);
    this.parts.push(flags, encodeVarint(streamId), encodeVarint(frameId));
  }

  byte(b: number): this { this.parts.push(Buffer.from([b])); return this; }

  name(s: string): this {
    const bytes = Buffer.from(s, "utf8");
    this.parts.push(encodeVarint(bytes.length), bytes);
    return this;
  }

  typed(value: boolean | number | string): this {
    if (typeof value === "boolean") return this.byte(TYPE_BOOL | (value ? BOOL_TRUE_FLAG : 0));
    if (typeof value === "number") {
      // SPOP has no floating point type; HAProxy stores integers as signed 64-bit.
      if (!Number.isSafeInteger(value)) throw new TypeError(`SPOA cannot send non-integer number ${value}`);
      this.byte(TYPE_INT64);
      this.parts.push(encodeVarint(value));
      return this;
    }
    this.byte(TYPE_STRING);
    return this.name(value);
  }

  kv(key: string, value: boolean | number | string): this { return this.name(key).typed(value); }

  /** The doc types max-frame-size and status-code as UINT32 (HAProxy accepts any integer type). */
  kvUint32(key: string, value: number): this {
    this.name(key).byte(TYPE_UINT32);
    this.parts.push(encodeVarint(value));
    return this;
  }

  frame(): Buffer {
    const body = Buffer.concat(this.parts);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    return Buffer.concat([len, body]);
  }
}

interface Frame { type: number; flags: number; streamId: bigint; frameId: bigint; payload: Reader }

function parseFrame(buf: Buffer): Frame {
  const r = new Reader(buf);
  const type = r.byte();
  const flags = r.uint32();
  const streamId = r.varint();
  const frameId = r.varint();
  return { type, flags, streamId, frameId, payload: r };
}

/** LIST-OF-MESSAGES: <name> <nb-args:1 byte> then nb-args KV pairs. */
function decodeMessages(r: Reader): SpoaMessage[] {
  const messages: SpoaMessage[] = [];
  while (!r.done) {
    const name = r.name();
    const nbArgs = r.byte();
    const args: Record<string, unknown> = {};
    for (let k = 0; k < nbArgs; k++) args[r.name()] = r.typed();
    messages.push({ name, args });
  }
  return messages;
}

function ackFrame(streamId: bigint, frameId: bigint, vars: SetVar[]): Buffer {
  const w = new Writer(FRAME_ACK, streamId, frameId);
  for (const v of vars) {
    const scope = SCOPES[v.scope];
    if (scope === undefined) throw new TypeError(`unknown variable scope ${String(v.scope)}`);
    // Three arguments: the scope byte is one of them even though it is untyped.
    w.byte(ACTION_SET_VAR).byte(3).byte(scope).name(v.name).typed(v.value);
  }
  return w.frame();
}

function disconnectFrame(status: number, reason: string): Buffer {
  let msg = reason;
  while (Buffer.byteLength(msg, "utf8") > MAX_REASON_BYTES) msg = msg.slice(0, -1);
  return new Writer(FRAME_AGENT_DISCONNECT).kvUint32("status-code", status).kv("message", msg).frame();
}

/** "2.0, 1.5": a major version also covers every lower minor of that major. */
function offersVersion(supported: string, wanted: string): boolean {
  const [wMajor, wMinor] = wanted.split(".").map(Number);
  return supported.split(",").map((s) => s.trim()).some((v) => {
    const [major, minor] = v.split(".").map(Number);
    return major === wMajor && minor >= wMinor;
  });
}

function listHas(list: string, item: string): boolean {
  return list.split(",").map((s) => s.trim()).includes(item);
}

interface Hello { reply: Buffer; maxFrameSize: number; healthcheck: boolean }

function answerHello(kv: Record<string, unknown>): Hello {
  const versions = kv["supported-versions"];
  const theirMax = kv["max-frame-size"];
  const capabilities = kv["capabilities"];
  if (typeof versions !== "string") throw new SpopError(STATUS_NO_VERSION, "supported-versions missing");
  if (typeof theirMax !== "number") throw new SpopError(STATUS_NO_FRAME_SIZE, "max-frame-size missing");
  if (typeof capabilities !== "string") throw new SpopError(STATUS_NO_CAPABILITIES, "capabilities missing");
  if (!offersVersion(versions, AGENT_VERSION)) throw new SpopError(STATUS_BAD_VERSION, `need SPOP ${AGENT_VERSION}, got ${versions}`);
  if (theirMax < MIN_FRAME_SIZE) throw new SpopError(STATUS_BAD_FRAME_SIZE, `max-frame-size ${theirMax} < ${MIN_FRAME_SIZE}`);
  const maxFrameSize = Math.min(theirMax, OUR_MAX_FRAME_SIZE);
  // Pipelining is safe because frames are handled strictly one at a time and
  // each NOTIFY is ACKed before the next is read. Async (ACK on another
  // connection) and fragmentation are not offered.
  const ours = listHas(capabilities, "pipelining") ? "pipelining" : "";
  const reply = new Writer(FRAME_AGENT_HELLO)
    .kv("version", AGENT_VERSION)
    .kvUint32("max-frame-size", maxFrameSize)
    .kv("capabilities", ours)
    .frame();
  return { reply, maxFrameSize, healthcheck: kv["healthcheck"] === true };
}

/** One HAProxy connection: buffers TCP reads into whole frames and answers each. */
class Connection {
  private pending: Buffer = Buffer.alloc(0);
  private maxFrameSize = OUR_MAX_FRAME_SIZE;
  private greeted = false;
  private closing = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly handler: SpoaHandler,
    private readonly record: (m: SpoaMessage) => void,
    private readonly onHealthcheck: () => void,
  ) {
    socket.on("data", (chunk) => this.onData(chunk));
    // HAProxy may reset the connection (reload, timeout); that is not a test failure.
    socket.on("error", () => socket.destroy());
  }

  /** Ends the connection politely when the handshake is done, as the doc's "closed by agent" flow. */
  shutdown(): void {
    if (this.closing) return;
    if (this.greeted) this.close(disconnectFrame(STATUS_NORMAL, "agent stopping"));
    else { this.closing = true; this.socket.destroy(); }
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    try {
      while (!this.closing && this.pending.length >= 4) {
        const len = this.pending.readUInt32BE(0);
        if (len > this.maxFrameSize) throw new SpopError(STATUS_TOO_BIG, `frame of ${len} bytes > ${this.maxFrameSize}`);
        if (this.pending.length < 4 + len) break;
        const frame = this.pending.subarray(4, 4 + len);
        this.pending = this.pending.subarray(4 + len);
        this.onFrame(parseFrame(frame));
      }
    } catch (err) {
      const status = err instanceof SpopError ? err.status : STATUS_UNKNOWN;
      this.close(disconnectFrame(status, err instanceof Error ? err.message : String(err)));
    }
  }

  private onFrame(f: Frame): void {
    // We never announce "fragmentation", so a frame without FIN (or a
    // continuation frame of type UNSET) is a peer error, not something to reassemble.
    if (f.type === FRAME_UNSET || !(f.flags & FLAG_FIN)) {
      throw new SpopError(STATUS_NO_FRAGMENTATION, "fragmented frames are not supported");
    }
    if (!this.greeted) return this.onHello(f);
    switch (f.type) {
      case FRAME_NOTIFY: return this.onNotify(f);
      case FRAME_HAPROXY_DISCONNECT: return this.close(disconnectFrame(STATUS_NORMAL, ""));
      case FRAME_HAPROXY_HELLO: throw new SpopError(STATUS_INVALID, "second HAPROXY-HELLO");
      default: return; // the doc allows skipping unknown frames
    }
  }

  private onHello(f: Frame): void {
    if (f.type !== FRAME_HAPROXY_HELLO) throw new SpopError(STATUS_INVALID, `expected HAPROXY-HELLO, got type ${f.type}`);
    const hello = answerHello(f.payload.kvList());
    this.greeted = true;
    this.maxFrameSize = hello.maxFrameSize;
    // A health check only wants the HELLO back; the agent may then close.
    if (hello.healthcheck) {
      this.onHealthcheck();
      this.close(hello.reply);
    } else this.socket.write(hello.reply);
  }

  private onNotify(f: Frame): void {
    const messages = decodeMessages(f.payload);
    const vars: SetVar[] = [];
    for (const m of messages) {
      this.record(m);
      vars.push(...this.handler(m));
    }
    const ack = ackFrame(f.streamId, f.frameId, vars);
    if (ack.length - 4 > this.maxFrameSize) throw new SpopError(STATUS_TOO_BIG, "ACK would exceed max-frame-size");
    this.socket.write(ack);
  }

  private close(last: Buffer): void {
    this.closing = true;
    this.socket.end(last);
    // If the peer never closes its side, do not keep the socket (and stop()) waiting.
    setTimeout(() => this.socket.destroy(), 500).unref();
  }
}

export interface SpoaAgentOptions {
  /** A fixed port, for running the agent by hand; the default 0 lets the OS pick a free one. */
  port?: number;
}

/** Starts an agent on 127.0.0.1, on a port the OS picks unless `options.port` names one. */
export function startSpoaAgent(handler: SpoaHandler, options: SpoaAgentOptions = {}): Promise<SpoaAgent> {
  const messages: SpoaMessage[] = [];
  const connections = new Set<Connection>();
  let healthchecks = 0;
  const server = net.createServer((socket) => {
    const conn = new Connection(socket, handler, (m) => messages.push(m), () => healthchecks++);
    connections.add(conn);
    socket.on("close", () => connections.delete(conn));
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        port,
        messages,
        get healthchecks() { return healthchecks; },
        count: (name) => messages.filter((m) => m.name === name).length,
        stop: () => new Promise<void>((done) => {
          server.close(() => done());
          for (const c of connections) c.shutdown();
        }),
      });
    });
  });
}
