import type { Challenge } from "../model.js";

/** A challenge as the stores keep it: JSON-safe, dates as ISO strings. */
export type StoredChallenge = Omit<Challenge, "sentAt" | "expiresAt" | "resendAvailableAt"> & {
  sentAt: string;
  expiresAt: string | null;
  resendAvailableAt: string;
};

export function toStoredChallenge(challenge: Challenge): StoredChallenge {
  return {
    ...challenge,
    sentAt: challenge.sentAt.toISOString(),
    expiresAt: challenge.expiresAt?.toISOString() ?? null,
    resendAvailableAt: challenge.resendAvailableAt.toISOString(),
  };
}

export function fromStoredChallenge(stored: StoredChallenge): Challenge {
  return {
    id: stored.id,
    provider: stored.provider,
    destinationHint: stored.destinationHint,
    sentAt: new Date(stored.sentAt),
    expiresAt: stored.expiresAt === null ? null : new Date(stored.expiresAt),
    resendAvailableAt: new Date(stored.resendAvailableAt),
    attemptsAllowed: stored.attemptsAllowed,
    providerMessage: stored.providerMessage,
    providerReference: stored.providerReference,
  };
}
