// Proves the suite leaves no bench process behind: anything still registered
// is killed and the run fails naming its command line.
import { reapLeftovers } from "../bench/pids";

export default async function globalTeardown(): Promise<void> {
  const leftovers = reapLeftovers();
  if (leftovers.length > 0) {
    throw new Error(`bench processes outlived the tests (killed now):\n  ${leftovers.join("\n  ")}`);
  }
  console.log("\nbench: no process left behind");
}
