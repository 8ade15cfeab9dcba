import type { Challenge, OtpOutcome } from "../model.js";

/**
 * Every limit a send is counted against, from the policy (`limits.ts`) down to the store and back in its refusal:
 * the cooldown, the caps per destination, device, client network and number range, the global budgets per
 * provider and country, the human verifier's per-IP rate, and a single-use value (a cap of one).
 */
export type LimitName =
  "cooldown" | "destination" | "device" | "ip" | "range" | "provider" | "country" | "verifier" | "singleUse";

/** The limits that are caps (all but the cooldown). */
export type CapName = Exclude<LimitName, "cooldown">;

/** One hourly (or other) cap: at most `max` sends counted under `key` in any sliding `windowMs`. */
export interface CapRule {
  /** Which limit this is, reported back when it refuses. */
  name: CapName;
  /** Already hashed by the caller: the store never sees a destination, a device id or an IP in clear. */
  key: string;
  /** The same counter under the previous state secret, during a rotation: its sends count too, read only. */
  previousKey?: string;
  /** 0: the rule only counts (for {@link OtpStore.recentCounts}) and never refuses. */
  max: number;
  /** How many of the latest send times to remember (at least `max`). */
  keep: number;
  windowMs: number;
}

/** A counter to read: its key and window, as in a {@link CapRule}. */
export interface CounterRef {
  key: string;
  previousKey?: string;
  windowMs: number;
}

/** Everything one send must pass, checked and counted together. */
export interface LimitRequest {
  /**
   * A gap between two sends under one key (`name: "cooldown"` when it refuses); null when off. It may be a cap's
   * key too: the memory store then keeps both in one entry (Redis keeps the cooldown under a name of its own).
   */
  cooldown: { key: string; previousKey?: string; ms: number } | null;
  caps: readonly CapRule[];
}

/**
 * What one counted send wrote, for {@link OtpStore.releaseLimits}: its time and, in Redis, its own member of each
 * sorted set. Opaque to the caller.
 */
export type LimitReceipt = string;

/**
 * The store's answer: counted (with the receipt that gives exactly this send's counts back), or refused with the
 * time until every refusing limit would allow it.
 */
export type LimitDecision =
  { allowed: true; receipt: LimitReceipt } | { allowed: false; limit: LimitName; retryAfterMs: number };

/** What an idempotency key holds: the fingerprint of its input, and the first outcome once there is one. */
export interface IdempotencyRecord {
  /** An HMAC of the input, never the input itself. */
  fingerprint: string;
  /**
   * The first outcome, as stored (an `OtpSent`'s `devOtp` is never kept: it reads back null); null while the first
   * request is still running (pending). Each store encodes it its own way.
   */
  outcome: OtpOutcome | null;
}

/** A watch on one idempotency key: `ended` settles when its pending claim may have ended. */
export interface IdempotencyWatch {
  ended: Promise<void>;
  /** Stop watching (always called, whether or not it ended). */
  close(): void;
}

/**
 * The shared state of the subgraph. `memory` (one process) and `redis` (replicas) implement it; the same
 * test suite runs against both. Never holds a password, an Aadhaar number or an OTP. Every backend takes its
 * clock at construction, so expiry is decided by that clock (tests move it; Redis TTLs only clean up).
 * A backend that cannot answer rejects with {@link StoreUnavailableError}.
 */
export interface OtpStore {
  /** Keep a challenge until `ttlSeconds` from now. */
  saveChallenge(challenge: Challenge, ttlSeconds: number): Promise<void>;
  /** Load many challenges in one round trip, in the order asked; unknown or expired ids are null. */
  loadChallenges(ids: readonly string[]): Promise<(Challenge | null)[]>;
  /**
   * Check the cooldown and every cap and, only when all of them allow it, count one send against each:
   * all or nothing, atomically (two replicas on one Redis never pass a cap together). Rejects with
   * {@link StoreSaturatedError}, counting nothing, when the send would need room the store does not have.
   */
  consumeLimits(request: LimitRequest): Promise<LimitDecision>;
  /**
   * Give back what {@link consumeLimits} counted for one send (its `receipt`), under the keys of `request` (the
   * request it was counted with, or a part of it): that send's time is removed from each cap, and the cooldown
   * it started is lifted. Other sends' counts are left alone. For a send that certainly did not go out.
   */
  releaseLimits(request: LimitRequest, receipt: LimitReceipt): Promise<void>;
  /**
   * How many sends each counter holds within its window (at most the `keep` it was counted with), in the order
   * asked, in one round trip. Reads only.
   */
  recentCounts(counters: readonly CounterRef[]): Promise<number[]>;
  /**
   * Claim `key` for a first request, marking it pending for `leaseSeconds` under `token`. Answers null
   * when claimed (no live record existed), else the live record (pending or done) without changing it.
   * Rejects with {@link StoreSaturatedError} when a new record would need room the store does not have.
   * With `previousKey` (a state secret rotation), a live record under it is answered as well; a claim is always
   * made under `key`.
   */
  claimIdempotency(
    key: string,
    fingerprint: string,
    token: string,
    leaseSeconds: number,
    previousKey?: string,
  ): Promise<IdempotencyRecord | null>;
  /** Store the first outcome under a key claimed with `token`, for `ttlSeconds`. A lost claim is left alone. */
  completeIdempotency(key: string, token: string, outcome: OtpOutcome, ttlSeconds: number): Promise<void>;
  /** Drop a pending claim made with `token` (the request ended before reaching a provider). */
  releaseIdempotency(key: string, token: string): Promise<void>;
  /**
   * Be told when `key`'s pending claim ends (completed or released, on any replica sharing the store), without
   * polling. Made before the claim is read, so that an end between the read and the wait is not missed. A notice
   * may be lost (a dropped connection): waiters also look again now and then, gently.
   */
  watchIdempotency(key: string): Promise<IdempotencyWatch>;
  /** Whether the store answers (for `/readyz`). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** The store could not be reached or did not answer: the caller must fail closed (send nothing). */
export class StoreUnavailableError extends Error {
  override readonly name: string = "StoreUnavailableError";
}

/** How long a challenge can be resolved by other subgraphs after it was sent. */
export const CHALLENGE_TTL_SECONDS = 60 * 60;

/**
 * The store is full of live state and keeps it: a write that needs new room is refused, and the caller must
 * fail closed (send nothing). `retryAfterMs` is the time until the oldest live entry expires, where known.
 */
export class StoreSaturatedError extends StoreUnavailableError {
  override readonly name = "StoreSaturatedError";

  constructor(
    message: string,
    readonly retryAfterMs: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
