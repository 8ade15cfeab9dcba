/**
 * docs/providers.md's "Every documented response, mapped" table, as data: every provider's documented responses (from
 * the registry) and the rows that hold for any provider. `npm run docs:write` renders it; the tests are driven by
 * the same rows.
 */
import type { DocumentedResponse } from "./outcomes.js";
import { PROVIDERS, type ProviderId } from "./registry.js";

/** A row of the mapping table (`providerCodeFrom` is shown instead of the quoted code, e.g. `HTTP status or null`). */
export type MappingRow = DocumentedResponse;

/** One provider's documented responses, or (`any`) the rows every provider shares. */
export interface MappingTable {
  provider: ProviderId | "any";
  rows: readonly MappingRow[];
  /** Where `providerCode` comes from for every row of this provider, when it is not the row's code. */
  providerCodeFrom?: string;
}

/**
 * What holds for every provider, whatever its document says: the provider could not be heard (`faultOutcome`
 * in `outcomes.ts`), or it answered something its document does not describe (`UNDOCUMENTED` in `exchange.ts`).
 */
export const GENERIC_RESPONSES = [
  {
    code: "fault",
    documented: "timeout, refused, reset, undocumented 5xx, open circuit",
    outcome: "ProviderUnavailable",
    retryable: true,
    providerCodeFrom: "HTTP status or null",
  },
  {
    code: "undocumented",
    documented: "a body that matches no documented shape",
    outcome: "UnexpectedProviderResponse",
    retryable: false,
    providerCodeFrom: "HTTP status",
    notes: "raw body logged (redacted), never returned",
  },
  {
    code: "auth",
    documented: "HTTP 401 or 403 with a body the document does not describe",
    outcome: "ProviderAuthFailed",
    retryable: false,
    providerCodeFrom: "HTTP status",
    notes: "the provider refused this service's credentials or permissions; body logged (redacted)",
  },
] as const satisfies readonly MappingRow[];

/** The whole mapping, in the registry's order, then `any`; a row's `field` is its path (`phone.phone`). */
export const MAPPING_TABLES: readonly MappingTable[] = [
  ...PROVIDERS.map((provider) => {
    const { id, binding, responses, providerCodeFrom } = provider;
    const rows = responses.map((row: MappingRow) =>
      row.field ? { ...row, field: binding.field(row.field) } : row,
    );
    return { provider: id, rows, ...(providerCodeFrom && { providerCodeFrom }) };
  }),
  { provider: "any", rows: GENERIC_RESPONSES },
];
