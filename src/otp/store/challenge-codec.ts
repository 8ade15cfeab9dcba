import type { Challenge, OtpOutcome } from "../model.js";

/** A challenge's fields in a fixed order, times in epoch milliseconds. */
type PackedChallenge = [
  id: string,
  provider: Challenge["provider"],
  destinationHint: string,
  sentAt: number,
  expiresAt: number | null,
  resendAvailableAt: number,
  attemptsAllowed: number | null,
  providerMessage: string | null,
  providerReference: string | null,
];

/** A challenge as one short JSON array: as Redis keeps it (and the memory store, what its binary form cannot). */
export function packChallenge(challenge: Challenge): string {
  const packed: PackedChallenge = [
    challenge.id,
    challenge.provider,
    challenge.destinationHint,
    challenge.sentAt.getTime(),
    challenge.expiresAt?.getTime() ?? null,
    challenge.resendAvailableAt.getTime(),
    challenge.attemptsAllowed,
    challenge.providerMessage,
    challenge.providerReference,
  ];
  return JSON.stringify(packed);
}

export function unpackChallenge(text: string): Challenge {
  const [
    id,
    provider,
    destinationHint,
    sentAt,
    expiresAt,
    resendAvailableAt,
    attemptsAllowed,
    providerMessage,
    providerReference,
  ] = JSON.parse(text) as PackedChallenge;
  return {
    id,
    provider,
    destinationHint,
    sentAt: new Date(sentAt),
    expiresAt: expiresAt === null ? null : new Date(expiresAt),
    resendAvailableAt: new Date(resendAvailableAt),
    attemptsAllowed,
    providerMessage,
    providerReference,
  };
}

/** The stored form of an `OtpSent` outcome (its `devOtp` is never stored): `S` and the packed challenge. */
function packSentOutcome(challenge: Challenge): string {
  return `${SENT}${packChallenge(challenge)}`;
}

/** The challenge of an outcome stored by {@link packSentOutcome}; null for any other stored form. */
function unpackSentOutcome(text: string): Challenge | null {
  return text.startsWith(SENT) ? unpackChallenge(text.slice(SENT.length)) : null;
}

const SENT = "S";

/**
 * An idempotency answer as Redis keeps it: an `OtpSent` as its packed challenge (`devOtp` is never stored), any
 * other outcome as JSON.
 */
export function encodeOutcome(outcome: OtpOutcome): string {
  return outcome.kind === "OtpSent" ? packSentOutcome(outcome.challenge) : JSON.stringify(outcome);
}

/** An answer read back from Redis (an `OtpSent` also as JSON, the form records written before took), dates revived. */
export function decodeOutcome(encoded: string): OtpOutcome {
  const challenge = unpackSentOutcome(encoded);
  if (challenge) return { kind: "OtpSent", challenge, devOtp: null };
  const outcome = JSON.parse(encoded) as OtpOutcome;
  if (outcome.kind !== "OtpSent") return outcome;
  const stored = outcome.challenge as unknown as Record<keyof typeof outcome.challenge, unknown>;
  const date = (value: unknown) => new Date(value as string);
  return {
    ...outcome,
    devOtp: null,
    challenge: {
      ...outcome.challenge,
      sentAt: date(stored.sentAt),
      expiresAt: stored.expiresAt === null ? null : date(stored.expiresAt),
      resendAvailableAt: date(stored.resendAvailableAt),
    },
  };
}
