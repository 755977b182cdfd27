// Options a server takes, shared by Server and by Backend.defaultServer
// (`server_params` in the DPAPI model).
import { z } from "zod";
import type { ServerParams } from "../client";
import { compact } from "./common";

const toggle = (b: boolean | undefined) => (b === undefined ? undefined : b ? "enabled" as const : "disabled" as const);
const bool = (t: string | undefined) => (t === undefined ? undefined : t === "enabled");

export const ServerOptionsSchema = z.strictObject({
  weight: z.number().int().min(0).max(256).optional().describe("Share of traffic, 0-256. Changed without a reload."),
  check: z.boolean().optional().describe("Health-check this server."),
  inter: z.number().int().positive().optional().describe("Interval between checks, in milliseconds."),
  rise: z.number().int().positive().optional().describe("Consecutive successful checks to mark the server up."),
  fall: z.number().int().positive().optional().describe("Consecutive failed checks to mark the server down."),
  backup: z.boolean().optional().describe("Only used when every non-backup server is down."),
  ssl: z.boolean().optional().describe("Connect to the server over TLS."),
  verify: z.enum(["none", "required"]).optional().describe("Verify the server's certificate (with ssl)."),
  sni: z.string().optional().describe("SNI expression sent to the server (with ssl), e.g. `str(api.internal)`."),
  caFile: z.string().optional().describe("CA file to verify the server's certificate (with ssl + verify required)."),
  maxconn: z.number().int().positive().optional().describe("Maximum concurrent connections to this server."),
});

export type ServerOptions = z.output<typeof ServerOptionsSchema>;

export function serverOptionsToWire(o: ServerOptions): ServerParams {
  return compact({
    weight: o.weight, check: toggle(o.check), inter: o.inter, rise: o.rise, fall: o.fall, backup: toggle(o.backup),
    ssl: toggle(o.ssl), verify: o.verify, sni: o.sni, ssl_cafile: o.caFile, maxconn: o.maxconn,
  });
}

/** Reads options back; a switch the user never set reads as unset when HAProxy has it off. */
export function serverOptionsFromWire(w: ServerParams, like: ServerOptions | undefined): ServerOptions {
  const sw = (t: string | undefined, k: keyof ServerOptions) => {
    const v = bool(t);
    return v === false && like?.[k] === undefined ? undefined : v;
  };
  return compact({
    weight: w.weight ?? undefined, check: sw(w.check, "check"), inter: w.inter ?? undefined, rise: w.rise ?? undefined,
    fall: w.fall ?? undefined, backup: sw(w.backup, "backup"), ssl: sw(w.ssl, "ssl"), verify: w.verify, sni: w.sni,
    caFile: w.ssl_cafile, maxconn: w.maxconn ?? undefined,
  });
}
