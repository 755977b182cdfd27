// A transaction the client opened is deleted when the process gets SIGTERM or
// SIGINT mid-way: nothing is left open in DPAPI.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { startBench, type Bench } from "../bench/bench";
import { openTransactions } from "../support/dpapi";
import { describeWith } from "../support/requires";

const compiledClient = resolve(__dirname, "..", "..", "bin", "provider", "client");

const child = (conn: object, gen: string) => `
const { buildClient, createHttp, ConnectionSchema } = require(${JSON.stringify(compiledClient)});
const http = createHttp(ConnectionSchema.parse(${JSON.stringify(conn)}));
// Stall forever once a write inside a transaction is about to be sent.
const stalling = { ...http, async request(req) {
  if (req.query && req.query.transaction_id) { process.stdout.write("IN_TRANSACTION\\n"); await new Promise(() => {}); }
  return http.request(req);
} };
const client = buildClient(stalling, ${JSON.stringify(gen)});
setInterval(() => {}, 1000); // a provider process stays alive (gRPC server); so does this one
Promise.all([client.createBackend({ name: "sig_a" }), client.createBackend({ name: "sig_b" })]);
`;

describeWith(["v3"], "signals", () => {
  let bench: Bench;
  beforeAll(async () => { bench = await startBench({ dataplane: "v3" }); });
  afterAll(async () => { await bench?.stop(); });

  test.each(["SIGTERM", "SIGINT"] as const)("%s while a transaction is open leaves none open", async (signal) => {
    expect(existsSync(join(compiledClient, "index.js"))).toBe(true);
    const dp = bench.dataplane!;
    const proc = spawn(process.execPath, ["-e", child({ url: dp.url, username: dp.username, password: dp.password }, "v3")], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolveReady, reject) => {
      proc.stdout.on("data", (d) => { if (String(d).includes("IN_TRANSACTION")) resolveReady(); });
      proc.on("exit", (code, sig) => reject(new Error(`child exited early with ${code} ${sig}`)));
    });
    expect(await openTransactions(bench)).toHaveLength(1);
    const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
    proc.kill(signal);
    expect(await exited).toBe(signal === "SIGTERM" ? 143 : 130);
    expect(await openTransactions(bench)).toEqual([]);
  });
});
