// Runs a TypeScript script of this repo without a build step: TypeScript's own
// transpiler as a require hook (type-checking is `npx tsc -p tsconfig.test.json`'s job).
//   node test/support/run-ts.js test/benchmarks/map-10k.ts [args]
const fs = require("node:fs");
const path = require("node:path");
const ts = require("typescript");

require.extensions[".ts"] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, "utf8"), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  module._compile(outputText, filename);
};

// The script sees the usual argv: [node, script, ...its arguments].
const script = path.resolve(process.argv[2]);
process.argv.splice(1, 2, script);
require(script);
