import type { Challenge } from "../model.js";

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
export function packSentOutcome(challenge: Challenge): string {
  return `${SENT}${packChallenge(challenge)}`;
}

/** The challenge of an outcome stored by {@link packSentOutcome}; null for any other stored form. */
export function unpackSentOutcome(text: string): Challenge | null {
  return text.startsWith(SENT) ? unpackChallenge(text.slice(SENT.length)) : null;
}

const SENT = "S";
