// Consul away when a ConsulDiscovery is created or updated, and a token without the ACL it needs. The provider asks
// Consul first, so each fails with a clear error before anything is written to the Data Plane API: no discovery
// registered or changed, no transaction open, no token in any output; and once Consul is back, `up` converges.
import { startBench, freePort, type Bench } from "../bench/bench";
import { programStack, type ProgramStack } from "../support/pulumi";
import { accessLogLines, consulDiscoveries, openTransactions } from "../support/dpapi";
import { describeWith, GENERATIONS } from "../support/requires";

const TOKEN = `acl-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;


/** Writes DPAPI logged after line `from` (anything but GET). */
const writesSince = (bench: Bench, from: number) => accessLogLines(bench).slice(from).filter((l) => /"(POST|PUT|DELETE) /.test(l));

for (const gen of GENERATIONS) {
  describeWith([gen, "consul", "pulumi"], `Consul unreachable or refusing, dataplaneapi ${gen}`, () => {
    let bench: Bench;
    const stacks: ProgramStack[] = [];
    let output = "";
    const onOutput = (s: string) => { output += s; };
    const stack = async () => {
      const ps = await programStack(bench);
      stacks.push(ps);
      await ps.stack.setConfig("bench-program:consulToken", { value: TOKEN, secret: true });
      return ps;
    };
    const discovery = (port: number, args: Record<string, unknown> = {}) => [{
      type: "ConsulDiscovery" as const, name: "consul",
      args: { address: "127.0.0.1", port, token: { $secretConfig: "consulToken" }, retryTimeout: 1, serviceAllowlist: ["web"], ...args },
    }];

    beforeAll(async () => { bench = await startBench({ dataplane: gen, consul: true, consulAclToken: TOKEN }); });
    afterAll(async () => {
      for (const ps of stacks) await ps.dispose();
      await bench?.stop();
    });
    afterEach(async () => {
      for (const ps of stacks.splice(0)) { await ps.stack.destroy({ onOutput }).catch(() => undefined); await ps.dispose(); }
      expect(await consulDiscoveries(bench)).toEqual([]);
      expect(await openTransactions(bench)).toEqual([]);
      expect(output).not.toContain(TOKEN);
    });

    test("create with nothing listening at the Consul address: a clear error, and nothing written to DPAPI", async () => {
      const nowhere = await freePort();
      const ps = await stack();
      await ps.declare(discovery(nowhere));
      const from = accessLogLines(bench).length;
      const err = await ps.stack.up({ onOutput }).then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(new RegExp(`Consul at http://127\\.0\\.0\\.1:${nowhere}`));
      expect(err?.message).toMatch(/ECONNREFUSED|could not be reached|cannot reach/i);
      expect(writesSince(bench, from)).toEqual([]);
      expect(await consulDiscoveries(bench)).toEqual([]);
    });

    test("update while Consul is down: fails before DPAPI's definition changes; with Consul back, up converges", async () => {
      const ps = await stack();
      await ps.declare(discovery(bench.consul!.port));
      await ps.stack.up({ onOutput });
      const before = await consulDiscoveries(bench);
      expect(before).toHaveLength(1);

      await bench.consul!.stop();
      await ps.declare(discovery(bench.consul!.port, { retryTimeout: 2 }));
      const from = accessLogLines(bench).length;
      const err = await ps.stack.up({ onOutput }).then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(/Consul at http:\/\/127\.0\.0\.1:\d+/);
      expect(writesSince(bench, from)).toEqual([]);
      expect(await consulDiscoveries(bench)).toEqual(before);

      await bench.consul!.start();
      const again = await ps.stack.up({ onOutput });
      expect(again.summary.resourceChanges).toMatchObject({ update: 1 });
      expect((await consulDiscoveries(bench)).map((d) => d.retry_timeout)).toEqual([2]);
    });

    test("a valid token without the ACL to read the service: a clear error naming what it needs, not showing the token", async () => {
      // A real token with no policy at all: Consul knows it, and denies it the catalog.
      const made = await fetch(`${bench.consul!.url}/v1/acl/token`, {
        method: "PUT", headers: { "x-consul-token": TOKEN }, body: JSON.stringify({ Description: "no policy" }),
      });
      const { SecretID: bare } = (await made.json()) as { SecretID: string };
      expect(bare).toMatch(/^[0-9a-f-]{36}$/);
      const agent = (path: string, body?: unknown) => fetch(`${bench.consul!.url}/v1/agent/service/${path}`,
        { method: "PUT", headers: { "x-consul-token": TOKEN }, body: body === undefined ? undefined : JSON.stringify(body) });
      expect((await agent("register", { Name: "web", ID: "web-1", Address: "127.0.0.1", Port: 9 })).ok).toBe(true);
      const ps = await stack();
      await ps.stack.setConfig("bench-program:bareToken", { value: bare, secret: true });
      await ps.declare(discovery(bench.consul!.port, { token: { $secretConfig: "bareToken" } }));
      const from = accessLogLines(bench).length;
      let seen = "";
      const err = await ps.stack.up({ onOutput: (s) => { seen += s; } }).then(() => undefined, (e: Error) => e);
      // Consul does not refuse it: it answers with the service left out (X-Consul-Results-Filtered-By-ACLs).
      expect(err?.message).toMatch(/Consul at http:\/\/127\.0\.0\.1:\d+ hides services from the ACL token/);
      expect(err?.message).toMatch(/service:read on web/);
      expect(err?.message).not.toContain(bare);
      expect(seen).not.toContain(bare);
      expect(writesSince(bench, from)).toEqual([]);
      await agent("deregister/web-1");
    });
  });
}
