import { z } from "zod";

/** DPAPI spells most on/off switches as these strings, not booleans. */
export const Toggle = z.enum(["enabled", "disabled"]);
/** Milliseconds; null clears the value. */
export const Millis = z.number().int().nonnegative().nullable();
/** HAProxy object names: the spec's pattern for backends. */
export const NAME_PATTERN = /^[A-Za-z0-9\-_.:]+$/;
