// Wire shapes of the API's own objects: transactions, reloads, errors, info.
import { z } from "zod";

export const TransactionSchema = z.looseObject({
  _version: z.number().int().optional(),
  id: z.string(),
  status: z.enum(["failed", "outdated", "in_progress", "success"]),
});

export const ReloadSchema = z.looseObject({
  // The real DPAPI (2.9.25, 3.4.0) omits the id while the reload is in progress.
  id: z.string().optional(),
  status: z.enum(["failed", "in_progress", "succeeded"]),
  response: z.string().optional(),
  reload_timestamp: z.number().int().optional(),
});

export const ErrorSchema = z.looseObject({
  code: z.number().int(),
  message: z.string(),
});

export const InfoSchema = z.looseObject({
  api: z.looseObject({ version: z.string().optional(), build_date: z.string().optional() }).optional(),
});

export type Transaction = z.output<typeof TransactionSchema>;
export type Reload = z.output<typeof ReloadSchema>;
export type Info = z.output<typeof InfoSchema>;
