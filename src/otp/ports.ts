/**
 * The use case's ports: what a provider adapter is to the use case. Providers implement these (`src/providers/`);
 * nothing here knows of any one provider, of HTTP or of GraphQL.
 */
import type { FieldError, OtpFailure, ProviderId } from "./model.js";

/**
 * What the use case is asked for: the provider (the `RequestOtpInput` member the caller set, resolved by the
 * transport) and that member's input as it arrived (type-checked, not yet validated).
 */
export interface ProviderRequest {
  provider: ProviderId;
  input: unknown;
}

/** The adapters a deployment has, by provider id (the providers with settings). */
export type ProviderAdapters = ReadonlyMap<ProviderId, ProviderAdapter>;

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

/**
 * A failure; `notSent` when the request never reached the provider (so nothing can have been sent: the local
 * limits are given back), `otpNotSent` when the provider answered, as its document describes, that no OTP went
 * out (a single-use value is given back).
 */
export type SendFailure = OtpFailure & { notSent?: true; otpNotSent?: true };

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
 * A value the provider refuses to see again within `seconds`: checked and recorded with the local limits (as an
 * HMAC, never in clear); a repeat is `InvalidInput` on `field` and is never sent.
 */
export interface SingleUse {
  /** Normalised, with whatever scopes it (e.g. the customer); never logged or stored in clear. */
  value: string;
  seconds: number;
  field: string;
  /** Safe for an end user. */
  message: string;
}

/**
 * One provider as the use case drives it: its input rules, and how to ask it for an OTP. Each provider module
 * (`src/providers/<id>/`) implements this; the use case holds the adapters by the provider's id.
 */
export interface ProviderAdapter<Input = unknown, Request = unknown> {
  /** Validate and normalise; reports every failing field at once. Never throws. */
  parse(input: Input): Parsed<Request>;
  destination(request: Request): Destination;
  /** The device the request comes from, where the input names one (for per-device limits). */
  device(request: Request): string | null;
  /** A value the provider takes only once for a while (DMT's reference number), where the request has one. */
  singleUse?(request: Request): SingleUse | null;
  /** Make the upstream call. Expected conditions are values; this rejects only on a bug. */
  send(request: Request): Promise<SendResult>;
}
