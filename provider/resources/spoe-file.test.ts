// HAProxy's words about the scratch copy of an SPOE file, told about the user's file: its name, its own line
// numbers (DPAPI puts `# _version=1` on top), without the scratch frontend's line. Messages as DPAPI 3.4 sent them.
import { aboutThisFile, outlineOf } from "./spoe-file";

const undefinedMessage = "validation error: exit status 1: msg=\"config parsing [/tmp/onlyvalidate2317191185:25] 'filter' 'SPOE agent 'auth-agent' try to use undefined SPOE message 'nosuch' at /tmp/haproxy-bench-uU98Ho/spoe/pulumi-check-e133174e3f1e.conf:3'\"\nmsg=\"config Error(s) found in configuration file /tmp/onlyvalidate2317191185\"\nmsg=\"config Fatal errors found in configuration.\"";
const unknownKeyword = "validation error: exit status 1: msg=\"config parsing [/tmp/haproxy-bench-uU98Ho/spoe/pulumi-check-8fd82bc1c1cc.conf:4] unknown keyword 'bogus-keyword' in spoe-agent section.\"\nmsg=\"config parsing [/tmp/onlyvalidate1734491526:25] 'filter' 'Error(s) found in configuration file /tmp/haproxy-bench-uU98Ho/spoe/pulumi-check-8fd82bc1c1cc.conf'\"\nmsg=\"config Error(s) found in configuration file /tmp/onlyvalidate1734491526\"";

test("HAProxy's message names the user's file and its line, not the scratch copy", () => {
  expect(aboutThisFile(undefinedMessage, "auth.conf", "[auth]\n")).toBe("SPOE agent 'auth-agent' try to use undefined SPOE message 'nosuch' at auth.conf:2");
  expect(aboutThisFile(unknownKeyword, "auth.conf", "[auth]\n")).toBe("auth.conf:3: unknown keyword 'bogus-keyword' in spoe-agent section.");
  // A file that carries its own version line is stored as it is: no shift.
  expect(aboutThisFile(unknownKeyword, "auth.conf", "# _version=4\n[auth]\n")).toBe("auth.conf:4: unknown keyword 'bogus-keyword' in spoe-agent section.");
});

test("the outline gives the scopes a filter can name and the backends the agents use", () => {
  const o = outlineOf("# comment\n[auth]\nspoe-agent a # trailing\n  use-backend spoa-auth\n[trace]\nspoe-agent b\n  use-backend spoa-trace\n");
  expect(o).toEqual({ scopes: ["auth", "trace"], agents: ["a", "b"], backends: ["spoa-auth", "spoa-trace"], beforeFirstScope: [] });
  expect(outlineOf("spoe-agent a\n[auth]\n").beforeFirstScope).toEqual([1]);
});
