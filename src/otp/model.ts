/**
 * The use case's vocabulary. Nothing here knows of GraphQL or HTTP: the GraphQL layer maps these
 * outcomes onto the schema's union once, and the adapters produce them from their providers' documents.
 */

import type { HumanVerificationReason, HumanVerifierKind } from "./human-verification.js";

/**
 * A provider's id (`GST`, `PHONE`, …). The use case knows no provider by name: the ids are those of the
 * registry of providers (`src/providers/registry.ts`), which hands the use case their adapters.
 */
export type ProviderId = string;

/** One failing input field; `field` is a path such as `dmt.ovdData`. */
export interface FieldError {
  field: string;
  message: string;
}

/** An OTP that was sent, as stored and as served to other subgraphs. Never holds the OTP itself. */
export interface Challenge {
  id: string;
  provider: ProviderId;
  destinationHint: string;
  sentAt: Date;
  expiresAt: Date | null;
  resendAvailableAt: Date;
  attemptsAllowed: number | null;
  providerMessage: string | null;
  providerReference: string | null;
}

/** Who refused the request when it was rate limited: this service's own limits, or the provider's. */
export const RATE_LIMIT_SOURCES = ["LOCAL_POLICY", "PROVIDER"] as const;
export type RateLimitSource = (typeof RATE_LIMIT_SOURCES)[number];

interface FailureBase {
  /** Safe for an end user: no upstream internals, no secrets. */
  message: string;
  provider: ProviderId;
  /** The documented code or HTTP status that produced it; null when raised locally. */
  providerCode: string | null;
  retryable: boolean;
}

export type InvalidInput = FailureBase & { kind: "InvalidInput"; fieldErrors: FieldError[] };
export type RateLimited = FailureBase & {
  kind: "RateLimited";
  retryAfterSeconds: number | null;
  limitedBy: RateLimitSource;
};
export type AccountBlocked = FailureBase & { kind: "AccountBlocked" };
export type AccountNotFound = FailureBase & { kind: "AccountNotFound" };
export type ProviderAuthFailed = FailureBase & { kind: "ProviderAuthFailed" };
export type ProviderUnavailable = FailureBase & {
  kind: "ProviderUnavailable";
  retryAfterSeconds: number | null;
};
export type UnexpectedProviderResponse = FailureBase & {
  kind: "UnexpectedProviderResponse";
  /** The provider's own status text, cleaned and bounded, where its reply had one. */
  providerMessage?: string | null;
};
/** A proof that a person is asking is needed first: the frontend shows the verifier's widget and asks again. */
export type HumanVerificationRequired = FailureBase & {
  kind: "HumanVerificationRequired";
  verifier: HumanVerifierKind;
  siteKey: string;
  reason: HumanVerificationReason;
};

export type OtpFailure =
  | InvalidInput
  | RateLimited
  | AccountBlocked
  | AccountNotFound
  | ProviderAuthFailed
  | ProviderUnavailable
  | UnexpectedProviderResponse
  | HumanVerificationRequired;

export type FailureKind = OtpFailure["kind"];

/** What `requestOtp` answers: the member names of the schema's `RequestOtpResult` union. */
export type OtpOutcome = { kind: "OtpSent"; challenge: Challenge; devOtp: string | null } | OtpFailure;

export type OutcomeKind = OtpOutcome["kind"];
