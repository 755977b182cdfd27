// The SPOE agent of this example, for trying it by hand: the test suite's agent (written on HAProxy's SPOP
// protocol) with the policy of the example, on 127.0.0.1:<port>. From the repository root:
//   node test/support/run-ts.js examples/spoe/agent.ts 12345
import { startSpoaAgent, type SpoaHandler } from "../../test/support/spoa-agent";

/**
 * The example's policy: requests under /admin are denied (sess.auth.denied with the file's var-prefix). The answer
 * is set either way: a `sess` variable lasts for the whole connection, so a later request on a kept-alive connection
 * would otherwise inherit an earlier "denied".
 */
export const adminDenied: SpoaHandler = (msg) =>
  [{ scope: "sess", name: "denied", value: typeof msg.args.path === "string" && msg.args.path.startsWith("/admin") }];

if (require.main === module) {
  const port = Number(process.argv[2] ?? 12345);
  void startSpoaAgent((msg) => {
    const actions = adminDenied(msg);
    console.log(`${msg.name} ${JSON.stringify(msg.args)} -> ${actions[0].value ? "denied" : "allowed"}`);
    return actions;
  }, { port }).then((a) => console.log(`SPOE agent listening on 127.0.0.1:${a.port}`));
}
