// Which configuration writes HAProxy can apply through its runtime API, and
// when a batch of them may skip the reload. The rules come from HAProxy 2.6's
// `add server` (management.txt) and from what the bench showed:
// - a server added at runtime ignores `default-server` lines, so a backend (or
//   a defaults section) that has one needs a reload;
// - health checks of a server added at runtime start only on `enable health`,
//   which the Data Plane API cannot send, so a server with `check` is added by
//   a reload, or it would take traffic unchecked;
// - any other refusal (a static balance algorithm, a backend not loaded yet)
//   is found by HAProxy itself, and the queue falls back to one reload.
import type { Server } from "./schemas";

export type ServerState = "ready" | "maint" | "drain";

export type RuntimeEffect =
  | { op: "add-server"; backend: string; server: Server }
  | { op: "delete-server"; backend: string; name: string }
  | { op: "set-server"; backend: string; name: string; weight?: number; address?: string; port?: number; state?: ServerState };

/** Server fields `add server` takes on HAProxy 2.6 and DPAPI's runtime endpoint passes on. */
const RUNTIME_ADD_FIELDS = new Set(["name", "address", "port", "weight", "maintenance", "inter", "fastinter", "downinter",
  "rise", "fall", "backup", "maxconn", "ssl", "verify", "verifyhost", "sni", "ssl_cafile", "alpn", "slowstart", "id"]);

/** Server fields whose change DPAPI's runtime actions apply (set weight / addr / state). */
const RUNTIME_SET_FIELDS = new Set(["weight", "address", "port", "maintenance"]);

/** The runtime form of adding this server, or undefined when only a reload adds it faithfully. */
export function addServerEffect(backend: string, server: Server): RuntimeEffect | undefined {
  const fields = Object.entries(server).filter(([, v]) => v !== undefined && v !== null).map(([k]) => k);
  if (server.check === "enabled" || !fields.every((k) => RUNTIME_ADD_FIELDS.has(k))) return undefined;
  return { op: "add-server", backend, server };
}

/** The runtime form of turning `previous` into `next`, or undefined when a field changed that needs a reload. */
export function setServerEffect(backend: string, next: Server, previous: Server): RuntimeEffect | undefined {
  const keys = new Set([...Object.keys(previous), ...Object.keys(next)]);
  const changed = [...keys].filter((k) => JSON.stringify((previous as Record<string, unknown>)[k] ?? null) !== JSON.stringify((next as Record<string, unknown>)[k] ?? null));
  if (!changed.every((k) => RUNTIME_SET_FIELDS.has(k))) return undefined;
  const addr = changed.includes("address") || changed.includes("port");
  return {
    op: "set-server", backend, name: next.name,
    weight: changed.includes("weight") ? next.weight ?? 1 : undefined,
    address: addr ? next.address : undefined,
    port: addr ? next.port ?? undefined : undefined,
    state: changed.includes("maintenance") ? (next.maintenance === "enabled" ? "maint" : "ready") : undefined,
  };
}

export function deleteServerEffect(backend: string, name: string): RuntimeEffect {
  return { op: "delete-server", backend, name };
}

interface Section { keyword: string; name: string; lines: string[] }

/** haproxy.cfg as sections: a header line at column 0, then its indented lines. */
export function sections(cfg: string): Section[] {
  const out: Section[] = [];
  for (const raw of cfg.split("\n")) {
    if (!raw.trim() || raw.trimStart().startsWith("#")) continue;
    if (!/^\s/.test(raw)) {
      const [keyword, name = ""] = raw.trim().split(/\s+/);
      out.push({ keyword, name, lines: [] });
    } else if (out.length) {
      out[out.length - 1].lines.push(raw.trim());
    }
  }
  return out;
}

/** Fields DPAPI v2 can add at runtime: its `add server` takes one option only, and the weight is set apart. */
const MINIMAL_ADD_FIELDS = new Set(["name", "address", "port", "weight", "maintenance", "id"]);

/**
 * Whether this batch, written as `cfg`, can go live without a reload. `addTakesOptions` is false for DPAPI v2,
 * whose runtime add passes only one server option to HAProxy (the first it finds, e.g. `backup`, dropping the
 * maintenance keyword): there only plain servers (address, port, weight) are added at runtime.
 */
export function runtimeFeasible(cfg: string, effects: RuntimeEffect[], addTakesOptions = true): boolean {
  const adds = effects.filter((e) => e.op === "add-server");
  if (adds.length === 0) return true;
  const plain = (e: RuntimeEffect) => e.op !== "add-server" ||
    Object.entries(e.server).every(([k, v]) => v === undefined || v === null || MINIMAL_ADD_FIELDS.has(k));
  if (!addTakesOptions && !adds.every(plain)) return false;
  const all = sections(cfg);
  const hasDefaultServer = (s: Section) => s.lines.some((l) => l.startsWith("default-server"));
  if (all.some((s) => s.keyword === "defaults" && hasDefaultServer(s))) return false;
  return adds.every((e) => {
    const backend = all.find((s) => s.keyword === "backend" && s.name === e.backend);
    return backend !== undefined && !hasDefaultServer(backend);
  });
}

/**
 * Whether haproxy.cfg carries a batch's server adds and deletes. After a write whose answer was an error, this
 * tells a write that landed (only the runtime commands after it failed) from one that did not: a version that
 * moved on says nothing, since another client may have moved it. Weight and address changes are left out: written
 * again, they do no harm.
 */
export function fileHasEffects(cfg: string, effects: RuntimeEffect[]): boolean {
  const all = sections(cfg);
  const has = (backend: string, name: string) => all.some((s) => s.keyword === "backend" && s.name === backend &&
    s.lines.some((l) => l.split(/\s+/)[0] === "server" && l.split(/\s+/)[1] === name));
  return effects.every((e) => (e.op === "add-server" ? has(e.backend, e.server.name) : e.op === "delete-server" ? !has(e.backend, e.name) : true));
}
