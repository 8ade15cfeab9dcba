/**
 * From what a provider did to the use case's outcomes: the documented-response rows every provider module declares,
 * the outcomes of faults (the provider could not be heard) and of undocumented replies, and the `sent` result.
 */
import type {
  FailureKind,
  FieldError,
  OtpFailure,
  ProviderId,
  RateLimitSource,
  UnexpectedProviderResponse,
} from "../otp/model.js";
import type { SendFailure, Sent } from "../otp/ports.js";
import type { ProviderBinding } from "./binding.js";
import type { ReplyHeaders, UpstreamFault, UpstreamReply } from "./http-client.js";

/**
 * One row of a provider's documented response table, read by the adapter, the README generator and the tests.
 * `code` is what the adapter matches on (an HTTP status, a `statusCode`, a `responseCode`, a message).
 */
export interface DocumentedResponse {
  /** The code as the document writes it. */
  code: string;
  /** How the document describes it (for the docs' tables). */
  documented: string;
  outcome: "OtpSent" | FailureKind;
  /** `providerCode` on the error; defaults to `code`. */
  providerCode?: string;
  /** Where `providerCode` comes from, in words, when it is no fixed code (for the docs). */
  providerCodeFrom?: string;
  retryable?: boolean;
  /** The input field to blame in `fieldErrors`, under the provider's member (`phone` for `phone.phone`). */
  field?: string;
  /** Safe for an end user. */
  message?: string;
  retryAfterSeconds?: number;
  limitedBy?: RateLimitSource;
  /** Anything the README should say beside the row. */
  notes?: string;
}

/** What an answer says beyond its documented row. */
export interface RowOverrides {
  providerCode?: string;
  retryAfterSeconds?: number | null;
  fieldErrors?: FieldError[];
  message?: string;
}

/** Turn a documented failure row of `provider` into the outcome it stands for (see `ProviderBinding.failure`). */
export function failureFromRow(
  provider: Pick<ProviderBinding, "id" | "field">,
  row: DocumentedResponse,
  overrides: RowOverrides = {},
): OtpFailure {
  const base = {
    provider: provider.id,
    providerCode: overrides.providerCode ?? row.providerCode ?? row.code,
    retryable: row.retryable ?? false,
    message: overrides.message ?? row.message ?? row.documented,
  };
  switch (row.outcome) {
    case "OtpSent":
    case "HumanVerificationRequired":
      throw new Error(`row ${row.code} of ${provider.id} is not a provider's failure`);
    case "InvalidInput":
      return {
        ...base,
        kind: row.outcome,
        fieldErrors:
          overrides.fieldErrors ??
          (row.field ? [{ field: provider.field(row.field), message: base.message }] : []),
      };
    case "RateLimited":
      return {
        ...base,
        kind: row.outcome,
        limitedBy: row.limitedBy ?? "PROVIDER",
        retryAfterSeconds: overrides.retryAfterSeconds ?? row.retryAfterSeconds ?? null,
      };
    case "ProviderUnavailable":
      return { ...base, kind: row.outcome, retryAfterSeconds: overrides.retryAfterSeconds ?? null };
    default:
      return { ...base, kind: row.outcome };
  }
}

/**
 * The row of a documented code, named once where a module needs that row: throws when the table has no such
 * code, so a renamed or removed row fails at module load, never at request time.
 */
export function documentedRow<const Row extends DocumentedResponse, const Code extends Row["code"]>(
  responses: readonly Row[],
  code: Code,
): Extract<Row, { code: Code }> {
  const row = responses.find((r) => r.code === code);
  if (!row) throw new Error(`no documented response "${code}" in its table`);
  return row as Extract<Row, { code: Code }>;
}

/** Find the documented row for a code. */
export function rowFor(
  responses: readonly DocumentedResponse[],
  code: string,
): DocumentedResponse | undefined {
  return responses.find((r) => r.code === code);
}

/** A send the provider accepted; what it did not say is null. */
export function sent(fields: Partial<Omit<Sent, "kind">>): Sent {
  return {
    kind: "sent",
    providerReference: null,
    providerMessage: null,
    devOtp: null,
    validForSeconds: null,
    resendGapSeconds: null,
    attemptsAllowed: null,
    ...fields,
  };
}

/** The outcome for a fault: the provider could not be heard, so the same request may work later. */
export function faultOutcome(provider: ProviderId, fault: UpstreamFault): SendFailure {
  const notSent = fault.notSent && { notSent: true as const };
  switch (fault.fault) {
    case "tooLarge":
      return unexpectedResponse(provider, fault.status);
    case "circuitOpen":
    case "inFlightCap":
      return {
        kind: "ProviderUnavailable",
        provider,
        providerCode: null,
        retryable: true,
        retryAfterSeconds: fault.retryAfterSeconds ?? null,
        message: `${provider} is not taking requests at the moment. Please try again shortly.`,
        ...notSent,
      };
    default:
      return {
        kind: "ProviderUnavailable",
        provider,
        providerCode: fault.status === null ? null : String(fault.status),
        retryable: true,
        retryAfterSeconds: null,
        message: `${provider} could not be reached. Please try again shortly.`,
        ...notSent,
      };
  }
}

/** The outcome of a reply that matches no documented shape: an undocumented 5xx is an outage, else unexpected. */
export function undocumentedOutcome(provider: ProviderId, status: number): OtpFailure {
  if (status >= 500) return faultOutcome(provider, { ok: false, fault: "network", status, ms: 0 });
  return unexpectedResponse(provider, status);
}

function unexpectedResponse(provider: ProviderId, status: number | null): UnexpectedProviderResponse {
  return {
    kind: "UnexpectedProviderResponse",
    provider,
    providerCode: status === null ? null : String(status),
    retryable: false,
    message: `${provider} gave an answer this service does not understand.`,
  };
}

/** The largest `retryAfterSeconds` a GraphQL `Int` can carry. */
const MAX_RETRY_AFTER_SECONDS = 2 ** 31 - 1;

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date), or null; capped to fit an `Int`. */
export function retryAfterSeconds(headers: ReplyHeaders, now = Date.now()): number | null {
  const value = headers.get("retry-after")?.trim();
  if (value === undefined || value === "") return null;
  const date = /^\d+$/.test(value) ? null : Date.parse(value);
  const seconds = date === null ? Number(value) : Math.ceil((date - now) / 1000);
  return Number.isNaN(seconds) ? null : Math.min(Math.max(0, seconds), MAX_RETRY_AFTER_SECONDS);
}

/** The most characters of a provider's text that reach a client or the store (`providerMessage`). */
export const PROVIDER_MESSAGE_MAX_LENGTH = 200;

/**
 * A provider's free text passed on (`providerMessage`, a message built from it), made safe to show and to store:
 * markup tags, control, bidirectional-control and unpaired-surrogate characters removed, then every value the
 * request sent masked (a provider may echo a phone number or a username; cleaned first, so a control character
 * inside a number cannot hide it), white space collapsed, and cut to {@link PROVIDER_MESSAGE_MAX_LENGTH}
 * characters. Null when it is not a string or nothing is left. Linear in the text's size (bounded by the reply
 * cap).
 */
export function providerText(reply: UpstreamReply, text: unknown): string | null {
  if (typeof text !== "string") return null;
  // Tags go without a trace: a space left in their place could split an echoed number and hide it from the mask.
  const cleaned = text
    .replace(MARKUP_TAG, "")
    .replace(/[\t-\r]/g, " ")
    .replace(UNSAFE_CHARACTERS, "");
  const masked = reply.maskSent ? reply.maskSent(cleaned) : cleaned;
  const collapsed = masked.replace(/\s+/gu, " ").trim();
  const bounded = cutAt(collapsed, PROVIDER_MESSAGE_MAX_LENGTH);
  return bounded === "" ? null : bounded;
}

/** A tag (`<b>`, `</script>`, `<!-- … -->`'s ends): up to the next `>`, never past another `<` (linear). */
const MARKUP_TAG = /<[^<>]*>/g;
/**
 * Control characters (C0, C1; line breaks and tabs become spaces first), bidi and zero-width controls, lone
 * surrogates, and the markup characters left after tags.
 */
const UNSAFE_CHARACTERS = /[\p{Cc}\u061C\u200B-\u200F\u2028-\u202E\u2060-\u206F\uFEFF<>]|\p{Cs}/gu;

/** At most `max` characters, never splitting a surrogate pair; "…" marks a cut. */
function cutAt(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end).trimEnd()}…`;
}

/**
 * A documented code as sent, whatever its JSON type: `"434"` and `434`, `"0"` and `0` (a string is trimmed).
 * Undefined for anything else.
 */
export function codeOf(value: unknown): string | undefined {
  if (typeof value === "string") return value.trim();
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Text as people write it, for comparing: letter case, surrounding and repeated space, trailing punctuation ignored. */
export function looseText(text: string): string {
  return text
    .toLowerCase()
    .replace(/\s+/gu, " ")
    .trim()
    .replace(/[\s.!?,;:。…]+$/u, "");
}

/** Whether `value` is the documented message `documented` as people write it ({@link looseText}). */
export function saysDocumented(value: unknown, documented: string): boolean {
  return typeof value === "string" && looseText(value) === looseText(documented);
}

/** What a provider's status text says of the OTP, by its words in any case. */
export type StatusReading = "sent" | "notSent" | "invalid" | "locked" | "unrecognised";

const LOCKED_WORDS = new Set(["locked", "lock", "blocked", "suspended", "disabled"]);
const INVALID_WORDS = new Set(["invalid", "incorrect", "wrong", "mismatch"]);
const NOT_SENT_WORDS = new Set([
  "not",
  "fail",
  "failed",
  "failure",
  "error",
  "false",
  "unable",
  "unsuccessful",
  "cannot",
]);
const SENT_WORDS = new Set(["sent", "success", "successful", "successfully", "triggered", "true"]);

/**
 * What a status text says (`"OTP sent"`, `"OTP_SENT"`, `"Not Triggered"`, `"Invalid credentials"`, `"Locked"`):
 * a word that says locked, then invalid, then not sent wins over one that says sent; none of them is
 * `unrecognised` (e.g. `"NO_OTP"`, `"PENDING"`).
 */
export function readStatus(text: string): StatusReading {
  const words = text.toLowerCase().split(/[^a-z]+/);
  const has = (set: ReadonlySet<string>) => words.some((word) => set.has(word));
  if (has(LOCKED_WORDS)) return "locked";
  if (has(INVALID_WORDS)) return "invalid";
  if (has(NOT_SENT_WORDS)) return "notSent";
  if (has(SENT_WORDS)) return "sent";
  return "unrecognised";
}

/**
 * A reply that does not say an OTP went out and matches no documented failure: `UnexpectedProviderResponse`, not
 * retryable (an OTP may be on its way), with the provider's text, cleaned, as `providerMessage`.
 */
export function unexpectedReply(reply: UpstreamReply, provider: ProviderId, text: unknown): OtpFailure {
  return { ...unexpectedResponse(provider, reply.status), providerMessage: providerText(reply, text) };
}

/** HTTP 401 or 403 with a body no document describes: the provider refused this service's credentials. */
export function authFailure(provider: ProviderId, status: number): OtpFailure {
  return {
    kind: "ProviderAuthFailed",
    provider,
    providerCode: String(status),
    retryable: false,
    message: `${provider} did not accept this service's credentials or permissions. Please try again later.`,
  };
}

/** `value` when it is a plain object. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
