import type { FailureKind, FieldError, OtpFailure, ProviderId, RateLimitSource } from "../otp/model.js";

/** The result of validating and normalising one provider's input before anything is sent. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; fieldErrors: FieldError[] };

/** What an adapter reports when the provider accepted the send. */
export interface Sent {
  kind: "sent";
  providerReference: string | null;
  providerMessage: string | null;
  /** The OTP, only when the provider returns it (a sandbox or development upstream). */
  devOtp: string | null;
  /** How long the OTP is valid, where the provider documents it. */
  validForSeconds: number | null;
  /** The provider's documented gap before a resend, in seconds. */
  resendGapSeconds: number | null;
  attemptsAllowed: number | null;
}

/** A failure; `notSent` when the request never reached the provider (so nothing can have been sent). */
export type SendFailure = OtpFailure & { notSent?: true };

export type SendResult = Sent | SendFailure;

/** Where an OTP goes: the key local limits count on, and what the user may be shown. */
export interface Destination {
  /** Normalised and stable (e.g. `+919876543210`, a GSTIN); never logged or stored in clear. */
  key: string;
  /** Masked: never more than the last 4 digits of a phone. */
  hint: string;
  /** When the destination is a phone: its E.164 form and the input field it came from (the phone policy's). */
  phone?: { e164: string; field: string };
}

/**
 * One provider: its input rules, and how to ask it for an OTP. One file per provider implements this,
 * with its wire types and its documented responses as a {@link DocumentedResponse} table.
 */
export interface ProviderAdapter<Input = unknown, Request = unknown> {
  readonly id: ProviderId;
  /** Validate and normalise; reports every failing field at once. Never throws. */
  parse(input: Input): Parsed<Request>;
  destination(request: Request): Destination;
  /** The device the request comes from, where the input names one (for per-device limits). */
  device(request: Request): string | null;
  /** Make the upstream call. Expected conditions are values; this rejects only on a bug. */
  send(request: Request): Promise<SendResult>;
}

/**
 * One row of a provider's documented response table, read by the adapter, the README generator and the tests.
 * `code` is what the adapter matches on (an HTTP status, a `statusCode`, a `responseCode`, a message).
 */
export interface DocumentedResponse {
  /** The code as the document writes it. */
  code: string;
  /** How the document describes it (for the README). */
  documented: string;
  outcome: "OtpSent" | FailureKind;
  /** `providerCode` on the error; defaults to `code`. */
  providerCode?: string;
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

/** The answer for a provider that has no settings in this deployment. */
export function notConfigured(provider: ProviderId): OtpFailure {
  return {
    kind: "ProviderUnavailable",
    provider,
    providerCode: null,
    retryable: false,
    retryAfterSeconds: null,
    message: `${provider} is not configured on this server.`,
  };
}
