// How configuration writes reach one endpoint: through one in-process queue,
// so parallel resource operations never race each other into 409s, and so
// writes that arrive together share one transaction and one reload (group
// commit). Every write is confirmed live: a queued reload is polled until it
// succeeded or failed.
import { DpapiError, isDpapiError } from "./errors";
import type { Http, HttpResponse } from "./http";
import { common, type Generation, type Target } from "./dialect";
import { ReloadSchema, TransactionSchema, type Reload } from "./schemas";
import { parseAs } from "./parse";

export interface ConfigWrite {
  method: "POST" | "PUT" | "DELETE";
  target: Target;
  body?: unknown;
  /** Send alone with `version`, never inside a transaction: DPAPI then applies
   *  runtime-capable changes (server weight, address, maintenance) without a reload. */
  solo?: boolean;
  /** Body to send instead of `body` when the write goes alone (outside a transaction). */
  aloneBody?: unknown;
}

export interface WriteResult {
  status: number;
  body: string;
  /** The reload this write caused, confirmed succeeded; undefined when HAProxy was changed through its runtime API. */
  reloadId?: string;
  /** Sent alone with `version` (so `aloneBody` was used), not inside a shared transaction. */
  alone: boolean;
}

interface Pending {
  write?: ConfigWrite;
  task?: () => Promise<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

export interface WriteQueueOptions {
  generation: Generation;
  reloadTimeoutMs: number;
  /** How long the first write of a batch waits for companions. */
  lingerMs?: number;
  maxVersionRetries?: number;
  maxReplays?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const jitter = (base: number) => base + Math.floor(Math.random() * base);

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

export interface WriteQueue {
  write(w: ConfigWrite): Promise<WriteResult>;
  /** Runs a non-configuration write (storage, runtime, discovery) in queue order. */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
  waitForReload(reloadId: string): Promise<Reload>;
  /** Waits for the reload a response announces (202 + Reload-Id), if any. */
  confirm(res: HttpResponse): Promise<WriteResult>;
  /** Transactions and reloads this queue caused, for tests and the benchmark. */
  readonly stats: { transactions: number; reloads: number; versionRetries: number; replays: number };
}

export function createWriteQueue(http: Http, opts: WriteQueueOptions): WriteQueue {
  const g = opts.generation;
  const lingerMs = opts.lingerMs ?? 30;
  const maxVersionRetries = opts.maxVersionRetries ?? 8;
  const maxReplays = opts.maxReplays ?? 5;
  const stats = { transactions: 0, reloads: 0, versionRetries: 0, replays: 0 };
  let pending: Pending[] = [];
  let draining = false;

  async function currentVersion(): Promise<number> {
    const res = await http.request({ method: "GET", path: common.version(g) });
    const v = Number(res.text.trim());
    if (!Number.isInteger(v)) throw new DpapiError({ code: "DPAPI_BAD_RESPONSE", message: `configuration version is not a number: ${res.text.slice(0, 80)}` });
    return v;
  }

  async function waitForReload(reloadId: string): Promise<Reload> {
    const deadline = Date.now() + opts.reloadTimeoutMs;
    for (let delay = 100; ; delay = Math.min(delay * 2, 500)) {
      const res = await http.request({ method: "GET", path: common.reload(g, reloadId) });
      const reload = parseAs(ReloadSchema, res.text, "reload");
      if (reload.status === "succeeded") return reload;
      if (reload.status === "failed") {
        throw new DpapiError({
          code: "DPAPI_RELOAD_FAILED", method: "GET", path: common.reload(g, reloadId),
          message: `HAProxy rejected the reload ${reloadId}; the Data Plane API restored the last working configuration`,
          reloadOutput: reload.response, dpapiMessage: reload.response,
          hint: `HAProxy said: ${(reload.response ?? "").trim().slice(0, 1000) || "(no output)"}`,
        });
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
    return { status: res.status, body: res.text, reloadId: reloadId || undefined, alone: false };
  }

  /** One write with `version`, retried with a fresh version on a version conflict. */
  async function writeVersioned(w: ConfigWrite): Promise<WriteResult> {
    for (let attempt = 0; ; attempt++) {
      const version = await currentVersion();
      try {
        const body = w.aloneBody ?? w.body;
        const res = await http.request({
          method: w.method, path: w.target.path, query: { ...w.target.query, version },
          body: body === undefined ? undefined : { json: body },
        });
        return { ...(await confirm(res)), alone: true };
      } catch (e) {
        if (isDpapiError(e, "DPAPI_VERSION_CONFLICT") && attempt < maxVersionRetries) {
          stats.versionRetries++;
          await sleep(jitter(20 * (attempt + 1)));
          continue;
        }
        throw e;
      }
    }
  }

  async function openTransaction(): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const version = await currentVersion();
      try {
        const res = await http.request({ method: "POST", path: common.transactions(g), query: { version } });
        const txn = parseAs(TransactionSchema, res.text, "transaction");
        openTransactions.set(txn.id, { http, path: common.transaction(g, txn.id) });
        installSignalCleanup();
        stats.transactions++;
        return txn.id;
      } catch (e) {
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

  async function closeTransaction(id: string): Promise<void> {
    openTransactions.delete(id);
    await http.exchange({ method: "DELETE", path: common.transaction(g, id) }).catch(() => undefined);
  }

  /**
   * Applies the writes in one transaction. A write DPAPI refuses fails only its
   * own caller; a commit HAProxy refuses is bisected so the bad write is found
   * and its neighbours still land. An outdated transaction is replayed.
   */
  async function writeTogether(items: Pending[], replays = 0): Promise<void> {
    if (items.length === 1) {
      await writeVersioned(items[0].write!).then(items[0].resolve, items[0].reject);
      return;
    }
    const txn = await openTransaction();
    let committed = false;
    try {
      const accepted: Pending[] = [];
      for (const item of items) {
        const w = item.write!;
        try {
          await http.request({
            method: w.method, path: w.target.path, query: { ...w.target.query, transaction_id: txn },
            body: w.body === undefined ? undefined : { json: w.body },
          });
          accepted.push(item);
        } catch (e) {
          if (isDpapiError(e) && e.status !== undefined && e.status >= 400 && e.status < 500) item.reject(e);
          else throw e;
        }
      }
      if (accepted.length === 0) return;
      let res: HttpResponse;
      try {
        res = await http.request({ method: "PUT", path: common.transaction(g, txn) });
        committed = true;
        openTransactions.delete(txn);
      } catch (e) {
        const outdated = isDpapiError(e, "DPAPI_TXN_OUTDATED") || isDpapiError(e, "DPAPI_VERSION_CONFLICT");
        if (outdated && replays < maxReplays) {
          stats.replays++;
          await closeTransaction(txn);
          return writeTogether(accepted, replays + 1);
        }
        if (isDpapiError(e, "DPAPI_VALIDATION") && accepted.length > 1) {
          await closeTransaction(txn);
          const half = Math.ceil(accepted.length / 2);
          await writeTogether(accepted.slice(0, half));
          await writeTogether(accepted.slice(half));
          return;
        }
        throw e;
      }
      const result = await confirm(res).catch((e) => {
        for (const item of accepted) item.reject(e);
        return undefined;
      });
      if (result) for (const item of accepted) item.resolve(result);
    } finally {
      if (!committed) await closeTransaction(txn);
    }
  }

  async function drain(): Promise<void> {
    draining = true;
    try {
      while (pending.length > 0) {
        await sleep(lingerMs);
        const batch = pending;
        pending = [];
        const together: Pending[] = [];
        for (const item of batch) {
          if (item.task) await item.task().then(item.resolve, item.reject);
          else if (item.write!.solo) await writeVersioned(item.write!).then(item.resolve, item.reject);
          else together.push(item);
        }
        if (together.length > 0) {
          await writeTogether(together).catch((e) => { for (const item of together) item.reject(e); });
        }
      }
    } finally {
      draining = false;
    }
  }

  function enqueue<T>(item: Omit<Pending, "resolve" | "reject">): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      pending.push({ ...item, resolve: resolve as (v: unknown) => void, reject });
      if (!draining) void drain();
    });
  }

  return {
    stats,
    waitForReload,
    confirm,
    write: (w) => enqueue<WriteResult>({ write: w }),
    exclusive: <T>(task: () => Promise<T>) => enqueue<T>({ task }),
  };
}

