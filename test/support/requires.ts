// describe() wrappers that skip, with a reason the skip-reporter prints, when a
// real program the suite needs is not on this machine.
import { wrkAvailable } from "./load";
import { consulBinary, dataplaneapiBinary, pulumiBinary, type Generation } from "../bench/tools";

type Need = Generation | "consul" | "pulumi" | "wrk";

function missing(need: Need): string | undefined {
  switch (need) {
    case "consul": return consulBinary() ? undefined : "no consul binary, run scripts/setup.sh";
    case "pulumi": return pulumiBinary() ? undefined : "no pulumi CLI, run scripts/setup.sh";
    case "wrk": return wrkAvailable() ? undefined : "no wrk load client, run scripts/setup.sh";
    default: return dataplaneapiBinary(need) ? undefined : `no dataplaneapi ${need} binary, see README`;
  }
}

/** describe(name, fn) when every need is met, else a skipped describe naming the first missing one. */
export function describeWith(needs: Need[], name: string, fn: () => void): void {
  const reason = needs.map(missing).find((r) => r !== undefined);
  if (reason) describe.skip(`${name} [skipped: ${reason}]`, fn);
  else describe(name, fn);
}

export const GENERATIONS: Generation[] = ["v3", "v2"];
