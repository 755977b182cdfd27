// Wire shapes of files in DPAPI storage (maps, certificates) and runtime map entries.
import { z } from "zod";

export const MapFileSchema = z.looseObject({
  storage_name: z.string().optional(),
  file: z.string().optional(),
  description: z.string().optional(),
  id: z.string().optional(),
  size: z.number().int().nullable().optional(),
});

export const MapEntrySchema = z.looseObject({
  id: z.string().optional(),
  key: z.string(),
  value: z.string(),
});

export const SslCertificateSchema = z.looseObject({
  storage_name: z.string().optional(),
  file: z.string().optional(),
  description: z.string().optional(),
  subject: z.string().optional(),
  issuers: z.string().optional(),
  domains: z.string().optional(),
  ip_addresses: z.string().optional(),
  not_after: z.string().nullable().optional(),
  not_before: z.string().nullable().optional(),
  serial: z.string().optional(),
  size: z.number().int().nullable().optional(),
});

export const GeneralFileSchema = z.looseObject({
  storage_name: z.string().optional(),
  file: z.string().optional(),
  description: z.string().optional(),
  size: z.number().int().nullable().optional(),
});

export type GeneralFile = z.output<typeof GeneralFileSchema>;
export type MapFile = z.output<typeof MapFileSchema>;
export type MapEntry = z.output<typeof MapEntrySchema>;
export type SslCertificate = z.output<typeof SslCertificateSchema>;
