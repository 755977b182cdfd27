// The Pulumi part of the bench is real: the CLI built from the Go module proxy
// and the dynamic-provider plugin from @pulumi/pulumi drive an inline program.
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { pulumiEnv } from "../support/pulumi";
import { describeWith } from "../support/requires";

describeWith(["pulumi"], "Pulumi CLI and dynamic-provider plugin", () => {
  test("an inline program with a trivial dynamic resource runs up, preview, refresh and destroy", async () => {
    const home = mkdtempSync(join(tmpdir(), "pulumi-inline-"));
    mkdirSync(join(home, "state"));
    try {
      const env = pulumiEnv(home);
      process.env.PATH = env.PATH;
      const program = async () => {
        const provider: pulumi.dynamic.ResourceProvider = {
          async create(inputs) { return { id: `echo-${inputs.word}`, outs: { ...inputs, length: String(inputs.word).length } }; },
        };
        class Echo extends pulumi.dynamic.Resource {
          declare readonly length: pulumi.Output<number>;
          constructor(name: string, word: string) { super(provider, name, { word, length: undefined }, {}, "bench", "Echo"); }
        }
        const r = new Echo("echo", "haproxy");
        return { id: r.id, length: r.length };
      };
      const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: "inline", projectName: "bench-inline", program },
        { envVars: env, projectSettings: { name: "bench-inline", runtime: "nodejs", main: resolve(__dirname, "..", ".."), backend: { url: env.PULUMI_BACKEND_URL } } },
      );
      const up = await stack.up();
      expect(up.outputs.id.value).toBe("echo-haproxy");
      expect(up.outputs.length.value).toBe(7);
      expect((await stack.preview()).changeSummary).toEqual({ same: 2 });
      expect((await stack.refresh()).summary.result).toBe("succeeded");
      expect((await stack.destroy()).summary.resourceChanges).toMatchObject({ delete: 2 });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
