/**
 * Every documented response of every provider, and the rows that hold for any provider, as data: the README's
 * mapping table is generated from this (`npm run docs:write`) and the tests are driven by it.
 */
import type { ProviderId } from "../otp/model.js";
import { DMT_RESPONSES } from "./dmt.js";
import { GST_RESPONSES } from "./gst.js";
import { ITR_RESPONSES } from "./itr.js";
import { PAYTM_RESPONSES } from "./paytm.js";
import { PHONE_RESPONSES } from "./phone.js";
import type { DocumentedResponse } from "./provider.js";

/** A row of the mapping table that says in words where `providerCode` comes from, when it is no fixed code. */
export interface MappingRow extends DocumentedResponse {
  /** Shown instead of the quoted code, e.g. `HTTP status or null`. */
  providerCodeFrom?: string;
}

/** One provider's documented responses, or (`any`) the rows every provider shares. */
export interface MappingTable {
  provider: ProviderId | "any";
  rows: readonly MappingRow[];
  /** Where `providerCode` comes from for every row of this provider, when it is not the row's code. */
  providerCodeFrom?: string;
}

/**
 * What holds for every provider, whatever its document says: the provider could not be heard (`faultOutcome`
 * in `http.ts`), or it answered something its document does not describe (`undocumentedReply`).
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
] as const satisfies readonly MappingRow[];

/** The whole mapping, in the contract's order: GST, ITR, DMT, PAYTM, PHONE, then `any`. */
export const MAPPING_TABLES: readonly MappingTable[] = [
  { provider: "GST", rows: GST_RESPONSES },
  { provider: "ITR", rows: ITR_RESPONSES },
  { provider: "DMT", rows: DMT_RESPONSES },
  { provider: "PAYTM", rows: PAYTM_RESPONSES },
  { provider: "PHONE", rows: PHONE_RESPONSES, providerCodeFrom: "provider's HTTP status" },
  { provider: "any", rows: GENERIC_RESPONSES },
];
