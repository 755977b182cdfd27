// Prints, at the end of the run, how many tests were skipped and why, so a
// machine without dataplaneapi (or Consul, or Pulumi) never passes silently.
// Suites that need a missing program carry "[skipped: <reason>]" in their title.
class SkipReporter {
  onRunComplete(_contexts, results) {
    const reasons = new Map();
    for (const file of results.testResults) {
      for (const t of file.testResults) {
        if (t.status !== "pending" && t.status !== "skipped") continue;
        const m = /\[skipped: ([^\]]+)\]/.exec(t.fullName);
        const reason = m ? m[1] : "skipped in code";
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
    }
    for (const [reason, n] of reasons) {
      process.stderr.write(`\n${n} test${n === 1 ? "" : "s"} skipped: ${reason}\n`);
    }
  }
}
module.exports = SkipReporter;
