// How configuration writes reach one endpoint: through one in-process queue,
// so parallel resource operations never race each other into 409s, and so
// writes that arrive together share one transaction (group commit).
//
// A batch takes one of two paths, and either way it is live when its callers
// hear back:
// - reload path: the transaction is committed with `force_reload`, so DPAPI
//   answers once HAProxy has reloaded, instead of waiting for its reload
//   ticker (`reload_delay`, 5 s by default) once per batch;
// - runtime path: when every write of the batch is a server change HAProxy can
//   apply at runtime, the transaction's haproxy.cfg is written with
//   `skip_reload` and the matching runtime commands are sent. If HAProxy
//   refuses one of them, one forced reload brings it to the written file.
// Both paths matter because the engine hands us at most `--parallel` (8)
// operations at a time: a reload per batch of 8 is what made 200 objects take
// 48 reloads.
import { z } from "zod";
import { DpapiError, isDpapiError } from "./errors";
import type { Http, HttpResponse } from "./http";
import { common, type Dialect, type Generation, type Target } from "./dialect";
import { ReloadSchema, TransactionSchema, type Reload } from "./schemas";
import { parseAs, parseJson } from "./parse";
import { fileHasEffects, runtimeFeasible, type RuntimeEffect } from "./runtime-plan";

export type { RuntimeEffect } from "./runtime-plan";

export interface ConfigWrite {
  method: "POST" | "PUT" | "DELETE";
  target: Target;
  body?: unknown;
  /** What HAProxy needs at runtime to match this write without a reload; absent when only a reload can apply it. */
  runtime?: RuntimeEffect;
  /** Which part of the caller's change this write is (e.g. "binds[1]"), for error messages. */
  label?: string;
}

export interface WriteResult {
  status: number;
  body: string;
  /** Whether HAProxy was reloaded to apply this write (false: it went through the runtime API). */
  reloaded: boolean;
}

interface Pending {
  /** Writes that land together or not at all (one caller's change). */
  writes?: ConfigWrite[];
  task?: () => Promise<unknown>;
  arrivedAt: number;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

export interface WriteQueueOptions {
  generation: Generation;
  dialect: Dialect;
  reloadTimeoutMs: number;
  /** How long the first write of a batch waits for companions. */
  lingerMs?: number;
  maxVersionRetries?: number;
  maxReplays?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How many callers' changes a batch writes into its transaction at once (each caller's in order). */
const CHANGE_WRITERS = 4;
const jitter = (base: number) => base + Math.floor(Math.random() * base);
/** Before a replay: another writer is committing right now, and two that retry in step keep colliding. */
const replayBackoff = (replays: number) => jitter(Math.min(20 * 2 ** Math.min(replays, 5), 400));

/** Transactions this process opened and has not closed yet, for signal cleanup. */
const openTransactions = new Map<string, { http: Http; path: string }>();
let signalHandlersInstalled = false;

function installSignalCleanup(): void {
  if (signalHandlersInstalled) return;
  signalHandlersInstalled = true;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      const deletions = [...openTransactions.values()].map(({ http, path }) =>
        http.exchange({ method: "DELETE", path }).catch(() => undefined));
      const exitCode = 128 + (sig === "SIGINT" ? 2 : 15);
      Promise.race([Promise.all(deletions), sleep(3000)]).finally(() => process.exit(exitCode));
    });
  }
}

/** How long a transaction must have been seen outdated before the sweep takes it for left behind. */
const STALE_AFTER_MS = 3000;

export interface WriteQueueStats {
  transactions: number;
  /** Reloads this queue caused (forced commits and fallbacks; DPAPI gives forced reloads no id). */
  reloads: number;
  /** Batches applied through the runtime API with haproxy.cfg written without a reload. */
  runtimeBatches: number;
  versionRetries: number;
  replays: number;
  /** Outdated transactions that someone left open, deleted. */
  sweptTransactions: number;
}

export interface WriteQueue {
  write(w: ConfigWrite): Promise<WriteResult>;
  /** Several writes as one change: they share a transaction and all land, or none does. */
  writeAll(ws: ConfigWrite[]): Promise<WriteResult>;
  /** Runs a non-configuration write (storage, runtime, discovery) in queue order. */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in queue order inside a transaction that is never committed and always deleted (for
   * asking HAProxy about a configuration without applying it). A transaction another client's commit
   * outdated midway is opened again.
   */
  scratch<T>(fn: (transactionId: string) => Promise<T>): Promise<T>;
  waitForReload(reloadId: string): Promise<Reload>;
  /**
   * Reloads HAProxy now, in queue order, and answers once it has (for a side file HAProxy reads only when it
   * loads its configuration). A failed reload rejects with DPAPI_RELOAD_FAILED and HAProxy's output.
   */
  reloadNow(): Promise<void>;
  /** Waits for the reload a response announces (202 + Reload-Id), if any. */
  confirm(res: HttpResponse): Promise<WriteResult>;
  /** Called after every applied batch (the client drops its read snapshots). */
  onApplied(listener: () => void): void;
  readonly stats: WriteQueueStats;
}

export function createWriteQueue(http: Http, opts: WriteQueueOptions): WriteQueue {
  const g = opts.generation;
  const d = opts.dialect;
  const lingerMs = opts.lingerMs ?? 30;
  const reloadLingerMaxMs = 600;
  let lastArrival = 0;
  let lastReleased = 8;
  /**
   * The longest wait between two arrivals in the last reloading batch that filled up: how spread out the engine
   * hands over operations on this machine now. A batch stops waiting for companions after a few such gaps
   * without one (between 40 and 100 ms), so the last batch of a run does not sit out a fixed 100 ms.
   */
  let arrivalGap = 25;
  const quietMs = () => Math.min(100, Math.max(40, 4 * arrivalGap));
  const maxVersionRetries = opts.maxVersionRetries ?? 8;
  // Writers that share one DPAPI collide often under load; a replay costs a few requests, a failed `up` far more.
  const maxReplays = opts.maxReplays ?? 30;
  const stats: WriteQueueStats = { transactions: 0, reloads: 0, runtimeBatches: 0, versionRetries: 0, replays: 0, sweptTransactions: 0 };
  const appliedListeners: Array<() => void> = [];
  let pending: Pending[] = [];
  const outdatedSince = new Map<string, number>();
  let draining = false;
  /**
   * The configuration version this queue's last write left: the next transaction opens on it without asking
   * first (one request less per batch). A guess: another writer's change makes DPAPI refuse it, and the
   * version is then read.
   */
  let expectedVersion: number | undefined;

  const applied = () => { for (const l of appliedListeners) l(); };

  async function currentVersion(): Promise<number> {
    const res = await http.request({ method: "GET", path: common.version(g) });
    const v = Number(res.text.trim());
    if (!Number.isInteger(v)) throw new DpapiError({ code: "DPAPI_BAD_RESPONSE", message: `configuration version is not a number: ${res.text.slice(0, 80)}` });
    return v;
  }

  function reloadFailed(path: string, output: string | undefined, id?: string): DpapiError {
    return new DpapiError({
      code: "DPAPI_RELOAD_FAILED", method: "GET", path,
      message: `HAProxy rejected the reload${id ? ` ${id}` : ""}; the Data Plane API restored the last working configuration`,
      reloadOutput: output, dpapiMessage: output,
      hint: `HAProxy said: ${(output ?? "").trim().slice(0, 1000) || "(no output)"}`,
    });
  }

  async function waitForReload(reloadId: string): Promise<Reload> {
    const deadline = Date.now() + opts.reloadTimeoutMs;
    for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
      const res = await http.request({ method: "GET", path: common.reload(g, reloadId) });
      const reload = parseAs(ReloadSchema, res.text, "reload");
      if (reload.status === "succeeded") return reload;
      if (reload.status === "failed") {
        await forgetFailedConfig();
        throw reloadFailed(common.reload(g, reloadId), reload.response, reloadId);
      }
      if (Date.now() > deadline) {
        throw new DpapiError({ code: "DPAPI_TIMEOUT", message: `reload ${reloadId} still in progress after ${opts.reloadTimeoutMs} ms`,
          hint: "check the reload command in dataplaneapi.yaml and HAProxy's logs" });
      }
      await sleep(delay);
    }
  }

  async function confirm(res: HttpResponse): Promise<WriteResult> {
    const reloadId = res.headers["reload-id"];
    if (reloadId) {
      stats.reloads++;
      await waitForReload(reloadId);
    }
    return { status: res.status, body: res.text, reloaded: Boolean(reloadId) };
  }

  /**
   * A forced reload answers once HAProxy reloaded. A failed one comes back as a 400 whose message
   * starts "Reload failed:" and carries the reload command's output (DPAPI has then restored the last
   * working haproxy.cfg); it is not a validation error, so it must not be bisected.
   */
  function asReloadFailure(e: unknown, path: string): unknown {
    if (isDpapiError(e) && /^reload failed/i.test(e.dpapiMessage ?? "")) return reloadFailed(path, e.dpapiMessage);
    return e;
  }

  async function openTransaction(): Promise<{ id: string; version: number }> {
    for (let attempt = 0; ; attempt++) {
      const guessed = expectedVersion;
      expectedVersion = undefined;
      const version = guessed ?? await currentVersion();
      try {
        const res = await http.request({ method: "POST", path: common.transactions(g), query: { version } });
        const txn = parseAs(TransactionSchema, res.text, "transaction");
        openTransactions.set(txn.id, { http, path: common.transaction(g, txn.id) });
        installSignalCleanup();
        stats.transactions++;
        return { id: txn.id, version };
      } catch (e) {
        // A guess that someone else's write made wrong is no conflict of ours: read the version and go on.
        if (guessed !== undefined && isDpapiError(e, "DPAPI_VERSION_CONFLICT")) { attempt--; continue; }
        const retriable = isDpapiError(e, "DPAPI_VERSION_CONFLICT") || isDpapiError(e, "DPAPI_TOO_MANY_TXNS");
        if (retriable && attempt < maxVersionRetries) {
          stats.versionRetries++;
          await sleep(isDpapiError(e, "DPAPI_TOO_MANY_TXNS") ? jitter(250 * (attempt + 1)) : jitter(20 * (attempt + 1)));
          continue;
        }
        throw e;
      }
    }
  }

  /**
   * Deletes a transaction. A write that raced another client's commit can leave two files for one transaction:
   * DPAPI moved it to outdated/ while the write saved it again in place, and it then lists the second as "in
   * progress" with no version, for ever (no commit can mark it outdated: its parser is gone). Each DELETE
   * removes one file, so after a failure it is repeated until DPAPI answers that none is left.
   */
  async function closeTransaction(id: string, afterFailure = true): Promise<void> {
    openTransactions.delete(id);
    for (let attempt = 0; attempt < (afterFailure ? 3 : 1); attempt++) {
      const res = await http.exchange({ method: "DELETE", path: common.transaction(g, id) }).catch(() => undefined);
      if (!res || res.status >= 300) return;
    }
  }

  /**
   * Commits a transaction with force_reload: DPAPI answers once HAProxy has reloaded, or with its output.
   * Another client may have written haproxy.cfg without a reload (the runtime path) after this reload's
   * HAProxy read the file, with its runtime commands sent to the worker this reload retired: those changes
   * are in the file but not in HAProxy. A version that moved past our commit says it may have happened, and
   * one more reload brings HAProxy to the file.
   */
  async function commitWithReload(txn: { id: string; version: number }, recheck = true): Promise<void> {
    await http.request({ method: "PUT", path: common.transaction(g, txn.id), query: { force_reload: true } })
      .catch(async (e) => {
        const failure = asReloadFailure(e, common.transaction(g, txn.id));
        if (isDpapiError(failure, "DPAPI_RELOAD_FAILED")) await forgetFailedConfig();
        throw failure;
      });
    openTransactions.delete(txn.id);
    stats.reloads++;
    await sweepOutdated(txn.version + 1);
    // Best effort: our commit is live either way, and what may lag is another client's change.
    const now = recheck ? await currentVersion().catch(() => undefined) : undefined;
    if (now !== undefined && now > txn.version + 1) await forceReload(false).catch(() => undefined);
    else expectedVersion = now ?? txn.version + 1;
  }

  /**
   * After a failed reload DPAPI copies the last working haproxy.cfg back over the file, but keeps the failed
   * configuration in memory: the next write of anyone would put the failed change back in the file (and make the
   * next reload fail again), and a retried create meets "already exists". Posting the file as it now is (the raw
   * GET reads the disk) makes DPAPI's memory the restored file again. No reload: HAProxy still runs that file.
   * Best effort; another writer meanwhile makes the version check refuse it, and its own write then carries on.
   */
  async function forgetFailedConfig(): Promise<void> {
    try {
      // The version first: a commit by anyone after it makes the POST's version check refuse a file read before.
      const version = await currentVersion();
      const file = rawConfigText((await http.request({ method: "GET", path: common.rawConfig(g) })).text);
      await http.request({ method: "POST", path: common.rawConfig(g), query: { skip_reload: true, version }, body: { text: file } });
    } catch { /* the error the caller reports is the reload's */ }
  }

  /**
   * Deletes transactions left open on an older version than `committed`: they can never commit (DPAPI refuses an
   * outdated one), yet they count against DPAPI's cap on open transactions. They are what a client leaves behind
   * when it dies, or when DPAPI dies under it (its cleanup then finds no one to ask), and would one day refuse
   * every write. One that belongs to a live client of this package is replayed by it, as any outdated one is.
   */
  async function sweepOutdated(committed: number): Promise<void> {
    const res = await http.request({ method: "GET", path: common.transactions(g) }).catch(() => undefined);
    if (!res) return;
    const list = z.array(TransactionSchema).safeParse(parseJson(res.text) ?? []);
    if (!list.success) return;
    // Without a version: the second file of a transaction whose write raced a commit (see closeTransaction),
    // left by a client that died before deleting it; DPAPI lists it as in progress and counts it against its cap.
    const outdated = list.data.filter((t) => t.status === "in_progress" && !openTransactions.has(t.id) &&
      (t._version === undefined || t._version < committed));
    // A live client's transaction is outdated for milliseconds (its commit then fails and it replays); one seen
    // outdated seconds ago was left behind. DPAPI's own implicit transactions (a raw write) are live ones too.
    const now = Date.now();
    for (const t of outdated) if (!outdatedSince.has(t.id)) outdatedSince.set(t.id, now);
    const stale = outdated.filter((t) => now - outdatedSince.get(t.id)! >= STALE_AFTER_MS);
    // One at a time: DPAPI ranges over its transactions' parsers without its lock on every DELETE (see README).
    for (const t of stale) await closeTransaction(t.id);
    for (const t of stale) outdatedSince.delete(t.id);
    stats.sweptTransactions += stale.length;
  }

  /**
   * Brings HAProxy to the written haproxy.cfg: an empty transaction committed with force_reload. It runs after
   * writes that landed, so another client's commit in between (an outdated empty transaction) is no failure of
   * theirs: it opens a fresh one, and never lets "outdated" reach the caller, which would replay writes that landed.
   */
  async function forceReload(recheck = true): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const txn = await openTransaction();
      let committed = false;
      try {
        await commitWithReload(txn, recheck);
        committed = true;
        return;
      } catch (e) {
        if (!isOutdated(e)) throw e;
        // Someone else committed, and so reloaded from a file that already has our writes.
        if (attempt >= maxReplays) return;
      } finally {
        if (!committed) await closeTransaction(txn.id);
      }
    }
  }

  /**
   * The pid of the HAProxy worker answering runtime commands. A change across a runtime batch means a
   * reload took over meanwhile, from a file read maybe before ours: its HAProxy may lack the batch.
   */
  async function workerPid(): Promise<number | undefined> {
    const res = await http.request({ method: "GET", path: common.runtimeInfo(g) }).catch(() => undefined);
    if (!res) return undefined;
    let body: unknown;
    try { body = JSON.parse(res.text); } catch { return undefined; }
    const pid = (d.unwrapRuntimeInfo(body) as { info?: { pid?: unknown } } | undefined)?.info?.pid;
    return typeof pid === "number" ? pid : undefined;
  }

  const isOutdated = (e: unknown) => isDpapiError(e, "DPAPI_TXN_OUTDATED") || isDpapiError(e, "DPAPI_VERSION_CONFLICT");

  /**
   * Applies the writes in one transaction. A write DPAPI refuses fails only its
   * own caller; a file HAProxy refuses is bisected so the bad write is found
   * and its neighbours still land. An outdated transaction is replayed.
   */
  async function writeTogether(items: Pending[], replays = 0): Promise<void> {
    const txn = await openTransaction();
    let closed = false;
    const close = async (afterFailure = true) => { if (!closed) { closed = true; await closeTransaction(txn.id, afterFailure); } };
    try {
      const done = new Set<Pending>();
      const rejected = new Set<Pending>();
      let tainted = false;
      let outdated = false;
      let fatal: { error: unknown } | undefined;
      const stop = () => outdated || fatal !== undefined;
      // Changes to different sections go side by side, changes to one section and each change's own writes in
      // order: one at a time, a batch of 8 backends with their servers waits on 80 round trips end to end. Only
      // in a batch that is committed: the commit saves the transaction from DPAPI's memory, whereas the runtime
      // path reads the transaction's file, which writes side by side may leave one save behind.
      const writeChange = async (item: Pending) => {
        const writes = item.writes!;
        for (let k = 0; k < writes.length && !stop(); k++) {
          const w = writes[k];
          try {
            await http.request({
              method: w.method, path: w.target.path, query: { ...w.target.query, transaction_id: txn.id },
              body: w.body === undefined ? undefined : { json: w.body },
            });
            if (k === writes.length - 1) done.add(item);
          } catch (e) {
            if (isOutdated(e) && replays < maxReplays) { outdated = true; return; }
            if (!(isDpapiError(e) && e.status !== undefined && e.status >= 400 && e.status < 500)) { fatal ??= { error: e }; return; }
            item.reject(e);
            rejected.add(item);
            // Earlier writes of this change are in the transaction: start again without it.
            if (k > 0) tainted = true;
            return;
          }
        }
      };
      const waiting = items.some(needsReload) ? groupBySection(items) : [items];
      await Promise.all(Array.from({ length: Math.min(CHANGE_WRITERS, waiting.length) }, async () => {
        for (let group = waiting.shift(); group && !stop(); group = waiting.shift()) {
          for (const item of group) if (!stop()) await writeChange(item);
        }
      }));
      // An outdated transaction first: a write beside the one that found it so may fail in some other way for the
      // same reason (its file moved aside), and the replay tells.
      if (outdated) {
        stats.replays++;
        await close();
        await sleep(replayBackoff(replays));
        return writeTogether(items.filter((i) => !rejected.has(i)), replays + 1);
      }
      if (fatal) throw fatal.error;
      const accepted = items.filter((i) => done.has(i));
      if (tainted) {
        await close();
        if (accepted.length) await writeTogether(accepted, replays);
        return;
      }
      if (accepted.length === 0) return;

      let reloaded = true;
      try {
        const effects = accepted.flatMap((i) => i.writes!.map((w) => w.runtime));
        const runtimeOnly = effects.every((e): e is RuntimeEffect => e !== undefined);
        const [cfg, pidBefore] = runtimeOnly
          ? await Promise.all([
            http.request({ method: "GET", path: common.rawConfig(g), query: { transaction_id: txn.id } }).then((r) => rawConfigText(r.text)),
            workerPid(),
          ])
          : [undefined, undefined];
        if (runtimeOnly && cfg !== undefined && runtimeFeasible(cfg, effects, d.capabilities.runtimeAddTakesOptions)) {
          // New servers first, in maintenance, so that the request writing the file also makes them ready.
          const added = await addAtRuntime(effects);
          if (added) {
            try {
              await writeFileWithoutReload(cfg, txn.version, effects);
            } catch (e) {
              await removeAtRuntime(effects);
              throw e;
            }
          } else {
            await removeAtRuntime(effects);
            await writeFileWithoutReload(cfg, txn.version, []);
          }
          // The file is written at txn.version + 1; the transaction is left behind (outdated) and goes meanwhile.
          expectedVersion = txn.version + 1;
          await close(false);
          // One request at a time: DPAPI races itself on transactions (see README), so this client adds no
          // concurrency of its own beyond what a batch needs.
          reloaded = !added || pidBefore === undefined || (await workerPid()) !== pidBefore;
          if (reloaded) await forceReload();
          else {
            await deleteAtRuntime(effects);
            stats.runtimeBatches++;
          }
        } else {
          await commitWithReload(txn);
          closed = true;
        }
      } catch (e) {
        if (isOutdated(e) && replays < maxReplays) {
          stats.replays++;
          await close();
          await sleep(replayBackoff(replays));
          return writeTogether(accepted, replays + 1);
        }
        if (isDpapiError(e, "DPAPI_VALIDATION") && accepted.length > 1) {
          await close();
          const half = Math.ceil(accepted.length / 2);
          await writeTogether(accepted.slice(0, half));
          await writeTogether(accepted.slice(half));
          return;
        }
        for (const item of accepted) item.reject(e);
        return;
      }
      for (const item of accepted) item.resolve({ status: 200, body: "", reloaded });
    } finally {
      await close();
      applied();
    }
  }

  /**
   * Writes the transaction's haproxy.cfg as the live file without a reload,
   * applying the runtime actions DPAPI knows (weight, address, state) in the same
   * request. A version conflict means someone else wrote meanwhile: the caller replays.
   */
  async function writeFileWithoutReload(cfg: string, version: number, effects: RuntimeEffect[]): Promise<void> {
    const actions = effects.flatMap(runtimeActionsOf);
    try {
      await http.request({
        method: "POST", path: common.rawConfig(g), query: { skip_reload: true, version },
        body: { text: cfg }, headers: actions.length ? { "x-runtime-actions": actions.join(";") } : undefined,
      });
    } catch (e) {
      // DPAPI runs the runtime actions after it wrote the file: when they fail, the file is written and only
      // HAProxy's runtime lags behind, which one reload fixes. Whether the file was written is read from it.
      if (isOutdated(e) || isDpapiError(e, "DPAPI_VALIDATION")) throw e;
      const live = rawConfigText((await http.request({ method: "GET", path: common.rawConfig(g) })).text);
      if (!fileHasEffects(live, effects)) {
        throw new DpapiError({ code: "DPAPI_TXN_OUTDATED", message: `haproxy.cfg was not written (${e instanceof Error ? e.message : String(e)})` });
      }
      await forceReload();
    }
  }

  /**
   * Adds the batch's new servers in maintenance (HAProxy 2.6 never load-balances to a server added with
   * `enabled`; one added in maintenance and then set ready does). False when HAProxy refused one.
   */
  async function addAtRuntime(effects: RuntimeEffect[]): Promise<boolean> {
    const results = await Promise.all(effects.map(async (e) => {
      if (e.op !== "add-server") return true;
      const t = d.runtimeServers(e.backend);
      const body = d.capabilities.runtimeAddTakesOptions ? { ...e.server, maintenance: "enabled" }
        : { name: e.server.name, address: e.server.address, port: e.server.port ?? undefined, maintenance: "enabled" };
      return http.request({ method: "POST", path: t.path, query: t.query, body: { json: body } }).then(() => true, () => false);
    }));
    return results.every(Boolean);
  }

  /** Deletes servers from HAProxy's memory only; one HAProxy refuses stays as it is (in maintenance). */
  async function deleteRuntimeServers(servers: Array<{ backend: string; name: string }>): Promise<void> {
    await Promise.all(servers.map(async ({ backend, name }) => {
      const s = d.runtimeServer(backend, name);
      await http.exchange({ method: "DELETE", path: s.path, query: s.query }).catch(() => undefined);
    }));
  }

  /** Takes back servers addAtRuntime added (they are still in maintenance and took nothing). */
  const removeAtRuntime = (effects: RuntimeEffect[]) =>
    deleteRuntimeServers(effects.flatMap((e) => (e.op === "add-server" ? [{ backend: e.backend, name: e.server.name }] : [])));

  /**
   * Deletes removed servers from HAProxy's memory; the file no longer has them and they are in maintenance
   * already (header action). HAProxy refuses `del server` while connections remain: the server then stays in
   * maintenance, taking nothing, until the next reload, which is still a success.
   */
  const deleteAtRuntime = (effects: RuntimeEffect[]) =>
    deleteRuntimeServers(effects.flatMap((e) => (e.op === "delete-server" ? [{ backend: e.backend, name: e.name }] : [])));

  async function drain(): Promise<void> {
    draining = true;
    try {
      // Only a write that finds the queue idle waits for companions; writes that arrived
      // while a batch was in flight are already together.
      for (let idle = true; pending.length > 0; idle = false) {
        // A queue found idle began waiting when its first write came.
        const waitStart = idle ? Math.min(...pending.map((p) => p.arrivedAt)) : Date.now();
        if (idle) await sleep(lingerMs);
        // A batch that reloads HAProxy waits while companions keep arriving: the engine hands over the
        // next `--parallel` operations over tens of milliseconds, and one more reload costs far more.
        // It expects as many as the last reloading batch released, and stops early when they stop coming.
        if (pending.some(needsReload)) {
          // Checked every few milliseconds: the batch leaves as soon as the expected number is in.
          const deadline = Date.now() + reloadLingerMaxMs;
          while (pending.length < lastReleased && Date.now() < deadline && Date.now() - lastArrival < quietMs()) await sleep(5);
          if (pending.length >= lastReleased) arrivalGap = longestGap(pending.map((p) => p.arrivedAt), waitStart) ?? arrivalGap;
        }
        const batch = pending;
        pending = [];
        const together: Pending[] = [];
        for (const item of batch) {
          if (item.task) await item.task().then(item.resolve, item.reject).finally(applied);
          else together.push(item);
        }
        if (together.length > 0) {
          await writeTogether(together).catch((e) => { for (const item of together) item.reject(e); });
          if (together.some(needsReload)) lastReleased = Math.max(1, together.length);
        }
      }
    } finally {
      draining = false;
    }
  }

  function enqueue<T>(item: Omit<Pending, "resolve" | "reject" | "arrivedAt">): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      lastArrival = Date.now();
      pending.push({ ...item, arrivedAt: lastArrival, resolve: resolve as (v: unknown) => void, reject });
      if (!draining) void drain();
    });
  }

  return {
    stats,
    waitForReload,
    confirm,
    onApplied: (l) => { appliedListeners.push(l); },
    write: (w) => enqueue<WriteResult>({ writes: [w] }),
    writeAll: (ws) => ws.length ? enqueue<WriteResult>({ writes: ws }) : Promise.resolve({ status: 200, body: "", reloaded: false }),
    exclusive: <T>(task: () => Promise<T>) => enqueue<T>({ task }),
    reloadNow: () => enqueue<void>({ task: () => forceReload() }),
    scratch: <T>(fn: (transactionId: string) => Promise<T>) => enqueue<T>({
      task: async () => {
        for (let attempt = 0; ; attempt++) {
          const txn = await openTransaction();
          try {
            return await fn(txn.id);
          } catch (e) {
            if (!isOutdated(e) || attempt >= maxReplays) throw e;
          } finally {
            await closeTransaction(txn.id);
          }
        }
      },
    }),
  };
}

/**
 * A batch's changes in groups that touch disjoint sections, each group in arrival order. A change with a write
 * whose section is unknown (global, defaults, …) puts the whole batch in one group.
 *
 * Sections ("backends/api") are named by the dialect on each target. DPAPI finds a server or a list item by its
 * position and then edits that position, two steps with no lock between them: two writes into one section at once
 * can edit the wrong line. It edits a transaction's configuration under its parser's lock and saves the
 * transaction's file by atomic rename, so writes into different sections can share a transaction at once.
 */
export function groupBySection<T extends { writes?: ConfigWrite[] }>(items: T[]): T[][] {
  let groups: Array<{ sections: Set<string>; items: T[] }> = [];
  for (const item of items) {
    const sections = (item.writes ?? []).map((w) => w.target.section);
    if (sections.length === 0 || sections.some((s) => s === undefined)) return [items];
    const touching = groups.filter((g) => sections.some((s) => g.sections.has(s!)));
    groups = groups.filter((g) => !touching.includes(g));
    groups.push({
      sections: new Set([...sections as string[], ...touching.flatMap((g) => [...g.sections])]),
      items: [...touching.flatMap((g) => g.items), item].sort((a, b) => items.indexOf(a) - items.indexOf(b)),
    });
  }
  return groups.map((g) => g.items);
}

/** haproxy.cfg from a raw GET: v3 sends it as a JSON string, v2 inside `{_version, data}`. */
export function rawConfigText(text: string): string {
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* plain text */ }
  if (typeof body === "string") return body;
  return String((body as { data?: unknown } | null)?.data ?? "");
}

/** The longest wait between consecutive arrivals, both at or after `since`; undefined when there is none. */
export function longestGap(arrivals: number[], since: number): number | undefined {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let longest: number | undefined;
  for (let i = 1; i < sorted.length; i++) if (sorted[i - 1] >= since) longest = Math.max(longest ?? 0, sorted[i] - sorted[i - 1]);
  return longest;
}

const needsReload = (p: Pending) => p.writes !== undefined && p.writes.some((w) => w.runtime === undefined);

/** DPAPI's X-Runtime-Actions for an effect (run right after it wrote the file). */
function runtimeActionsOf(e: RuntimeEffect): string[] {
  if (e.op === "delete-server") return [`SetServerState ${e.backend} ${e.name} maint`];
  if (e.op === "add-server") {
    const out: string[] = [];
    // DPAPI v2 passes only one option to `add server`, so the weight is set here on both generations.
    if (typeof e.server.weight === "number") out.push(`SetServerWeight ${e.backend} ${e.server.name} ${e.server.weight}`);
    if (e.server.maintenance !== "enabled") out.push(`SetServerState ${e.backend} ${e.server.name} ready`);
    return out;
  }
  if (e.op !== "set-server") return [];
  const out: string[] = [];
  if (e.address !== undefined) out.push(`SetServerAddr ${e.backend} ${e.name} ${e.address} ${e.port ?? 0}`);
  if (e.weight !== undefined) out.push(`SetServerWeight ${e.backend} ${e.name} ${e.weight}`);
  if (e.state !== undefined) out.push(`SetServerState ${e.backend} ${e.name} ${e.state}`);
  return out;
}
