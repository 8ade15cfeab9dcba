import type { Challenge } from "../model.js";

/**
 * The shared state of the subgraph. `memory` (one process) and `redis` (replicas) implement it;
 * the same test suite runs against both. Never holds a password, an Aadhaar number or an OTP.
 */
export interface OtpStore {
  /** Keep a challenge until `ttlSeconds` from now. */
  saveChallenge(challenge: Challenge, ttlSeconds: number): Promise<void>;
  /** Load many challenges in one round trip, in the order asked; unknown or expired ids are null. */
  loadChallenges(ids: readonly string[]): Promise<(Challenge | null)[]>;
  /** Whether the store answers (for `/readyz`). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** How long a challenge can be resolved by other subgraphs after it was sent. */
export const CHALLENGE_TTL_SECONDS = 60 * 60;
