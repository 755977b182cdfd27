// examples/spoe as a user runs it, with the suite's SPOE agent: HAProxy asks the agent about every request and
// denies what it flags (/admin), lets the rest through to the site, and answers with the GeneralFile's page once
// no server of the site is up.
import type { Stack } from "@pulumi/pulumi/automation";
import { startBench, freePort, sleep, type Bench } from "../bench/bench";
import { exampleStack } from "../support/pulumi";
import { startUpstream, type Upstream } from "../support/upstreams";
import { describeWith } from "../support/requires";
import { startSpoaAgent, type SpoaAgent } from "../support/spoa-agent";
import { adminDenied } from "../../examples/spoe/agent";

describeWith(["v3", "pulumi"], "examples/spoe", () => {
  let bench: Bench; let site: Upstream; let agent: SpoaAgent; let stack: Stack; let dispose: () => void; let httpPort: number;
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, { headers: { connection: "close" } });
    return { status: res.status, body: await res.text() };
  };

  beforeAll(async () => {
    bench = await startBench({ dataplane: "v3" });
    site = await startUpstream("site");
    agent = await startSpoaAgent(adminDenied);
    httpPort = await freePort();
    ({ stack, dispose } = await exampleStack("spoe", bench, {
      "spoe:agent": { value: JSON.stringify({ address: "127.0.0.1", port: agent.port }) },
      "spoe:site": { value: JSON.stringify({ address: "127.0.0.1", port: site.port }) },
      "spoe:httpPort": { value: String(httpPort) },
    }));
  });
  afterAll(async () => {
    dispose?.();
    await bench?.stop();
    await site?.close();
    await agent?.stop();
  });

  test("the agent's answer decides: /admin 403, the rest from the site, the maintenance page when the site is down", async () => {
    await stack.up();
    const before = agent.count("check-request");
    expect(await get("/admin/users")).toMatchObject({ status: 403 });
    expect(await get("/")).toEqual({ status: 200, body: "site" });
    expect(agent.count("check-request") - before).toBe(2);
    expect((await stack.preview()).changeSummary).toEqual({ same: 6 });

    // HAProxy answers its own 503 until its health checks mark the server down (3 failed checks, 2 s apart).
    await site.close();
    let answer = await get("/");
    for (let i = 0; i < 40 && !answer.body.includes("Back soon"); i++) { await sleep(500); answer = await get("/"); }
    expect(answer.status).toBe(503);
    expect(answer.body).toContain("<h1>Back soon</h1>");
    await stack.destroy();
  });
});
