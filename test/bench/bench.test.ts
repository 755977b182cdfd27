// The bench is real: HAProxy, dataplaneapi (each generation present), Consul.
import { readFileSync } from "node:fs";
import Consul from "consul";
import { startBench, sleep, type Bench } from "./bench";
import { connect } from "../../provider/client";
import { describeWith, GENERATIONS } from "../support/requires";
import { isAlive } from "./pids";

for (const gen of GENERATIONS) {
  describeWith([gen], `bench with dataplaneapi ${gen}`, () => {
    let bench: Bench;
    beforeAll(async () => { bench = await startBench({ dataplane: gen }); });
    afterAll(async () => { await bench?.stop(); });

    test("info answers and the generation is detected by probing paths", async () => {
      const dp = bench.dataplane!;
      const auth = "Basic " + Buffer.from(`${dp.username}:${dp.password}`).toString("base64");
      const res = await fetch(`${dp.url}/${gen}/info`, { headers: { authorization: auth } });
      expect(res.status).toBe(200);
      const client = await connect({ url: dp.url, username: dp.username, password: dp.password });
      expect(client.generation).toBe(gen);
    });

    test("a backend POSTed with version lands in haproxy.cfg, its reload succeeds, and the runtime lists it", async () => {
      const dp = bench.dataplane!;
      const auth = "Basic " + Buffer.from(`${dp.username}:${dp.password}`).toString("base64");
      const base = `${dp.url}/${gen}/services/haproxy`;
      const version = Number(await (await fetch(`${base}/configuration/version`, { headers: { authorization: auth } })).text());
      const res = await fetch(`${base}/configuration/backends?version=${version}`, {
        method: "POST", headers: { authorization: auth, "content-type": "application/json" },
        body: JSON.stringify({ name: "raw_backend", mode: "http", balance: { algorithm: "roundrobin" } }),
      });
      expect(res.status).toBe(202);
      const reloadId = res.headers.get("reload-id");
      expect(reloadId).toMatch(/^\d{4}-\d{2}-\d{2}-\d+$/);
      expect(readFileSync(bench.haproxy.configPath, "utf8")).toMatch(/^backend raw_backend/m);
      let status = "";
      for (let i = 0; i < 100 && status !== "succeeded" && status !== "failed"; i++) {
        await sleep(100);
        status = ((await (await fetch(`${base}/reloads/${reloadId}`, { headers: { authorization: auth } })).json()) as { status: string }).status;
      }
      expect(status).toBe("succeeded");
      expect(await bench.runtime("show backend")).toMatch(/^raw_backend$/m);
    });

    test("stop() ends every process by PID", async () => {
      const pids = [bench.dataplane!.pid, Number(readFileSync(bench.haproxy.pidFile, "utf8"))];
      await bench.stop();
      for (const pid of pids) expect(isAlive(pid)).toBe(false);
    });
  });
}

describeWith(["consul"], "bench with consul", () => {
  let bench: Bench;
  beforeAll(async () => { bench = await startBench({ consul: true }); });
  afterAll(async () => { await bench?.stop(); });

  test("a service registered through the consul npm client is in the catalog", async () => {
    const consul = new Consul({ host: "127.0.0.1", port: bench.consul!.port });
    await consul.agent.service.register({ name: "web", id: "web-1", address: "127.0.0.1", port: 9001 });
    const services = await consul.catalog.service.list();
    expect(Object.keys(services)).toContain("web");
    const nodes = await consul.catalog.service.nodes("web");
    expect(nodes.map((n: { ServicePort: number }) => n.ServicePort)).toEqual([9001]);
  });
});
