/**
 * Schemas of environment variables (zod), shared by the service's settings (`config.ts`) and each provider's
 * (`src/providers/<id>/index.ts`). A blank variable counts as unset.
 */
import { z } from "zod";

const blankToUndefined = (value: unknown) =>
  typeof value === "string" && value.trim() === "" ? undefined : value;

/** A variable read with `schema` once blanks are unset. */
export const variable = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema);

/** Optional text, trimmed. */
export const text = variable(z.string().trim().optional());

/** An optional http(s) URL. */
export const url = variable(z.url({ protocol: /^https?$/ }).optional());

/** A count (an integer ≥ 0), `fallback` when unset. */
export const count = (fallback: number) => variable(z.coerce.number().int().min(0).default(fallback));

/** A count (an integer ≥ 0), or undefined when unset. */
export const optionalCount = variable(z.coerce.number().int().min(0).optional());

/** An integer in `[min, max]`, `fallback` when unset. */
export const integer = (min: number, max: number, fallback: number) =>
  variable(z.coerce.number().int().min(min).max(max).default(fallback));

/** `true`/`false`/`1`/`0`, or undefined when unset. */
export const flag = variable(z.enum(["true", "false", "1", "0"]).optional()).transform((value) =>
  value === undefined ? undefined : value === "true" || value === "1",
);
