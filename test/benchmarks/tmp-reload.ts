import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { startBench } from "../bench/bench";
import { buildClient, createHttp, ConnectionSchema } from "../../provider/client";
(async () => {
  const bench = await startBench({ dataplane: "v3", reloadDelay: 1 } as never);
  const conn = { url: bench.dataplane!.url, username: bench.dataplane!.username, password: bench.dataplane!.password };
  const client = buildClient(createHttp(ConnectionSchema.parse(conn)), "v3");
  const dir = (bench as unknown as { dir: string }).dir;
  console.log(Object.keys(bench));
  const times: number[] = [];
  for (let i = 0; i < 6; i++) { const t0 = Date.now(); await client.createBackend({ name: `r${i}` }); times.push(Date.now() - t0); }
  console.log("backend create (forced reload) ms:", times.join(" "));
  const scr: number[] = [];
  for (let i = 0; i < 6; i++) { const t0 = Date.now(); execFileSync("sh", [join(dir, "reload.sh")]); scr.push(Date.now() - t0); }
  console.log("reload.sh alone ms:", scr.join(" "));
  const chk: number[] = [];
  for (let i = 0; i < 6; i++) { const t0 = Date.now(); execFileSync("haproxy", ["-c", "-q", "-f", join(dir, "haproxy.cfg")]); chk.push(Date.now() - t0); }
  console.log("haproxy -c ms:", chk.join(" "));
  await bench.stop();
})();
