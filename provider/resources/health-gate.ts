// The life of a Fleet node's health gate: a resource that holds no object in
// HAProxy, only the right to go on. The Fleet makes it depend on everything the
// node declares, and the next node's resources depend on it, so the engine runs
// its create/update after this node's changes are applied and before the next
// node's start. create/update poll a URL (through the node's own HAProxy) until
// it answers as expected; if it never does, they fail, which fails `up` here and
// leaves later nodes untouched. Without a URL (a sequential rollout with no
// health check) it is a barrier only: the next node's resources then wait for one
// resource, not for each of this node's, whose URNs the engine would otherwise
// store in each of theirs (a 200-object node made the next node's state 200
// times bigger, and the engine rewrites the state after every step).
//
// Its `fingerprint` input is a hash of the node's declared resources, so the
// gate updates, and checks health, exactly when that node's declarations
// change, and a no-op preview shows nothing. Health is not state: read returns
// what is stored, and delete has nothing to remove.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import { z } from "zod";
import { STATE_VERSION, UNKNOWN, checkInputs, diffInputs, withoutProvider, type CheckResult, type DiffResult } from "./common";

export const HealthGateInputsSchema = z.strictObject({
  node: z.string().regex(/^[A-Za-z0-9_-]+$/, "must be letters, digits, - and _").describe("The Fleet node this gate belongs to."),
  url: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL, e.g. http://10.0.0.5/healthz" })
    .optional()
    .describe("What to GET until it answers expectStatus. Without it the gate is a barrier only: it passes once the node's changes are applied."),
  expectStatus: z.number().int().min(100).max(599).default(200).describe("The HTTP status that means healthy."),
  timeoutSeconds: z.number().positive().max(3600).default(30).describe("How long to keep asking before the rollout stops here."),
  headers: z.record(z.string(), z.string()).default({}).describe("Request headers, e.g. a Host."),
  fingerprint: z.string().describe("SHA-256 of the node's declared resources: the gate runs when it changes."),
});

export type HealthGateInputs = z.input<typeof HealthGateInputsSchema>;
type Desired = z.output<typeof HealthGateInputsSchema>;

const INPUT_KEYS = ["node", "url", "expectStatus", "timeoutSeconds", "headers", "fingerprint"] as const;

/** Time between two requests of a check (the first goes at once). */
export const POLL_INTERVAL_MS = 500;
/** The most one request may take; a hung connection must not eat the whole timeout unseen. */
const REQUEST_TIMEOUT_MS = 5_000;
/** How much of a body an error quotes. */
const BODY_QUOTE = 200;

/** What one request saw: a status and the start of the body, or why there was none. */
export type Answer = { status: number; body: string } | { error: string };

/** One GET, with node:http (fetch would not send a Host header of ours). Never throws. */
export function probe(url: string, headers: Record<string, string>, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    const target = new URL(url);
    const host = Object.entries(headers).find(([k]) => k.toLowerCase() === "host")?.[1]?.replace(/:\d+$/, "");
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    let settled = false;
    const done = (a: Answer) => { if (!settled) { settled = true; resolve(a); } };
    const req = send(target, {
      method: "GET",
      // A new connection per request: the check must see what a new client sees after a reload.
      headers: { connection: "close", "user-agent": "pulumi-haproxy-dataplane fleet health gate", ...headers },
      // With a Host header over HTTPS, present it as SNI too (the route it selects is usually per SNI as well).
      ...(target.protocol === "https:" && host && !isIP(host) ? { servername: host } : {}),
      timeout: timeoutMs,
    }, (res: IncomingMessage) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => { if (body.length < BODY_QUOTE) body += d; });
      res.on("end", () => done({ status: res.statusCode ?? 0, body: body.slice(0, BODY_QUOTE) }));
      res.on("error", (e) => done({ error: e.message }));
    });
    req.on("timeout", () => { req.destroy(new Error(`no answer within ${timeoutMs} ms`)); });
    req.on("error", (e: NodeJS.ErrnoException) => done({ error: e.message || e.code || String(e) }));
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function describeAnswer(a: Answer, expect: number): string {
  if ("error" in a) return `failed (${a.error})`;
  const body = a.body.trim() === "" ? "(empty)" : JSON.stringify(a.body.trim());
  return `answered ${a.status} (expected ${expect}); last body: ${body}`;
}

/**
 * Asks `url` every POLL_INTERVAL_MS until it answers `expectStatus`, for at most `timeoutSeconds`.
 * Resolves with the number of requests sent; rejects with what the last one saw.
 */
export async function waitHealthy(d: Pick<Desired, "node" | "expectStatus" | "timeoutSeconds" | "headers"> & { url: string }): Promise<number> {
  const deadline = Date.now() + d.timeoutSeconds * 1000;
  let attempts = 0;
  let last: Answer;
  for (;;) {
    const left = deadline - Date.now();
    attempts++;
    last = await probe(d.url, d.headers, Math.max(1, Math.min(REQUEST_TIMEOUT_MS, left)));
    if ("status" in last && last.status === d.expectStatus) return attempts;
    if (Date.now() + POLL_INTERVAL_MS >= deadline) break;
    await sleep(POLL_INTERVAL_MS);
  }
  throw new Error(`Fleet node "${d.node}": rollout stopped here: health check GET ${d.url} ${describeAnswer(last, d.expectStatus)} ` +
    `— ${attempts} request${attempts === 1 ? "" : "s"} over ${d.timeoutSeconds} s. The nodes after "${d.node}" were not changed; ` +
    `fix the change (or what the check reaches) and run \`pulumi up\` again to resume the rollout from this node.`);
}

function desired(inputs: Record<string, unknown>): Desired {
  const { stateVersion: _v, ...rest } = withoutProvider(inputs);
  return HealthGateInputsSchema.parse(rest);
}

const state = (d: Desired) => ({ ...d, stateVersion: STATE_VERSION });

export async function check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<CheckResult<Record<string, unknown>>> {
  // The gate has no `name` of its own: failures name the node instead.
  const node = typeof news.node === "string" && news.node !== UNKNOWN ? ` of Fleet node ${JSON.stringify(news.node)}` : "";
  return checkInputs(`HealthGate${node}`, HealthGateInputsSchema, news);
}

export async function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<DiffResult> {
  return diffInputs(INPUT_KEYS, [], olds, withoutProvider(news));
}

/**
 * A failed check as Pulumi's "created but failed to initialize" (the dynamic provider host turns an error that
 * carries `id` and `properties` into ErrorResourceInitFailed). The engine then stores the gate with an init
 * error, and on the next `up` updates it, so checks it again, even when the declarations are back to the
 * ones that passed last time: a revert of a failed node is checked before the rollout moves on. A plain
 * error would leave the old fingerprint in state, and a revert would skip the check.
 */
class GateFailed extends Error {
  readonly reasons: string[];
  constructor(message: string, readonly id: string, readonly properties: Record<string, unknown>) {
    super(message);
    this.reasons = [message];
  }
}

async function gate(d: Desired, inputs: Record<string, unknown>) {
  try {
    if (d.url !== undefined) await waitHealthy({ ...d, url: d.url });
  } catch (e) {
    // The host does not add `__provider` to these properties itself; without it, a later read or delete of
    // this state could not find its provider.
    throw new GateFailed((e as Error).message, d.node, { ...state(d), __provider: inputs.__provider });
  }
  return state(d);
}

export async function create(inputs: Record<string, unknown>) {
  const d = desired(inputs);
  return { id: d.node, outs: await gate(d, inputs) };
}

export async function read(id: string, props: Record<string, unknown>) {
  return { id, props };
}

export async function update(_id: string, _olds: Record<string, unknown>, news: Record<string, unknown>) {
  return { outs: await gate(desired(news), news) };
}

export async function remove(): Promise<void> {
  // Nothing lives anywhere but in Pulumi's state.
}
