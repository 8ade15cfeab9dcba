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
export const url = variable(
  z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).optional(),
);

/** An integer from `min` on (to `max`), every failure said in one message: what the value must be. */
const wholeNumber = (min: number, max?: number) => {
  const error = `must be a whole number${max === undefined ? `, ${String(min)} or more` : ` from ${String(min)} to ${String(max)}`}`;
  const from = z.coerce.number({ error }).int({ error }).min(min, { error });
  return max === undefined ? from : from.max(max, { error });
};

/** A count (an integer ≥ 0), `fallback` when unset. */
export const count = (fallback: number) => variable(wholeNumber(0).default(fallback));

/** A count (an integer ≥ 0), or undefined when unset. */
export const optionalCount = variable(wholeNumber(0).optional());

/** An integer in `[min, max]`, `fallback` when unset. */
export const integer = (min: number, max: number, fallback: number) =>
  variable(wholeNumber(min, max).default(fallback));

/** `true`/`false`/`1`/`0`, or undefined when unset. */
export const flag = variable(
  z.enum(["true", "false", "1", "0"], { error: "must be true or false (or 1 or 0)" }).optional(),
).transform((value) => (value === undefined ? undefined : value === "true" || value === "1"));

/** `true`/`false`/`1`/`0`, `fallback` when unset. */
export const flagOr = (fallback: boolean) => flag.transform((value) => value ?? fallback);

/** A comma list, upper-cased, blanks dropped; undefined when unset or empty. */
export const list = variable(
  z
    .string()
    .optional()
    .transform((value) => {
      const items = value
        ?.split(",")
        .map((item) => item.trim().toUpperCase())
        .filter(Boolean);
      return items && items.length > 0 ? items : undefined;
    }),
);

/** A comma list as `list` reads it, `fallback` when unset or empty. */
export const listOr = (fallback: readonly string[]) => list.transform((items) => items ?? [...fallback]);
