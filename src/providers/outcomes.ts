/**
 * From what a provider did to the use case's outcomes: the documented-response rows every provider module declares,
 * the outcomes of faults (the provider could not be heard) and of undocumented replies, and the `sent` result.
 */
import type { FailureKind, FieldError, OtpFailure, ProviderId, RateLimitSource } from "../otp/model.js";
import type { SendFailure, Sent } from "../otp/ports.js";
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
  /** The input path to blame in `fieldErrors`. */
  field?: string;
  /** Safe for an end user. */
  message?: string;
  retryAfterSeconds?: number;
  limitedBy?: RateLimitSource;
  /** Anything the README should say beside the row. */
  notes?: string;
}

/** Turn a documented failure row into the outcome it stands for. */
export function failureFromRow(
  provider: ProviderId,
  row: DocumentedResponse,
  overrides: { providerCode?: string; retryAfterSeconds?: number | null; fieldErrors?: FieldError[] } = {},
): OtpFailure {
  const base = {
    provider,
    providerCode: overrides.providerCode ?? row.providerCode ?? row.code,
    retryable: row.retryable ?? false,
    message: row.message ?? row.documented,
  };
  switch (row.outcome) {
    case "OtpSent":
    case "HumanVerificationRequired":
      throw new Error(`row ${row.code} of ${provider} is not a provider's failure`);
    case "InvalidInput":
      return {
        ...base,
        kind: row.outcome,
        fieldErrors:
          overrides.fieldErrors ?? (row.field ? [{ field: row.field, message: base.message }] : []),
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

function unexpectedResponse(provider: ProviderId, status: number | null): OtpFailure {
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

/**
 * A provider's free text that a documented success passes on (`providerMessage`), with every value the request
 * sent masked: the text reaches the client and the store, and a provider may echo a phone number or a username.
 * Null when it is not a string.
 */
export function providerText(reply: UpstreamReply, text: unknown): string | null {
  if (typeof text !== "string") return null;
  return reply.maskSent ? reply.maskSent(text) : text;
}

/** `value` when it is a plain object. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
