import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { FieldError, OtpOutcome, ProviderId } from "./model.js";
import { textProblem } from "./field-errors.js";
import { packSentOutcome, unpackSentOutcome } from "./store/challenge-codec.js";
import type { StateKeys } from "./store/state-keys.js";
import { StoreUnavailableError, type OtpStore } from "./store/store.js";

/** How long the first result of a key is kept and replayed. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

const KEY_MAX_LENGTH = 255;

/** One run of the request behind an idempotency key. */
export interface Attempt {
  outcome: OtpOutcome;
  /** Whether the outcome is the key's answer from now on (it reached a provider); else the key is freed. */
  final: boolean;
}

export interface IdempotencyOptions {
  store: OtpStore;
  keys: StateKeys;
  /** How long a first request may hold its key before another may take over (it crashed, say). */
  leaseSeconds: number;
  /** How often a duplicate looks whether the first request has finished. */
  pollMs?: number;
  /** The store failed to keep a final outcome: it is answered all the same (the send happened). */
  onStateError?: (error: StoreUnavailableError) => void;
}

/**
 * Idempotency keys: the same key with the same input within 24 h gets the first outcome again with no second
 * upstream call, also when both arrive at once (the second waits for the first) and across replicas sharing a
 * store. The record holds an HMAC of the input and the outcome with `devOtp: null`: never an OTP, a password
 * or an Aadhaar number, not even as an unkeyed hash.
 */
export class Idempotency {
  readonly #store: OtpStore;
  readonly #keys: StateKeys;
  readonly #leaseSeconds: number;
  readonly #pollMs: number;
  readonly #onStateError: (error: StoreUnavailableError) => void;

  constructor(options: IdempotencyOptions) {
    this.#store = options.store;
    this.#keys = options.keys;
    this.#leaseSeconds = options.leaseSeconds;
    this.#pollMs = options.pollMs ?? 50;
    this.#onStateError = options.onStateError ?? (() => undefined);
  }

  /** A keyed fingerprint of a provider's normalised request (key order does not matter). */
  fingerprint(provider: ProviderId, request: unknown): string {
    return this.#keys.key("fingerprint", fingerprintOf(provider, request));
  }

  /**
   * Run `attempt` once per key and input; a duplicate gets the stored outcome, a key reused with another
   * input gets `InvalidInput` on `idempotencyKey`. Rejects with `StoreUnavailableError` when the store is away.
   */
  async once(
    provider: ProviderId,
    idempotencyKey: string,
    request: unknown,
    attempt: () => Promise<Attempt>,
  ): Promise<OtpOutcome> {
    const key = this.#keys.key("idempotency", idempotencyKey);
    const input = fingerprintOf(provider, request);
    const fingerprint = this.#keys.key("fingerprint", input);
    // During a state secret rotation, a record written under the previous secret holds its own forms of both.
    const previousKey = this.#keys.previousKey("idempotency", idempotencyKey);
    const previousFingerprint = this.#keys.previousKey("fingerprint", input);
    const token = randomUUID();
    // A pending record ends within its lease; this bound only guards against one that never does.
    const deadline = Date.now() + this.#leaseSeconds * 1000 + 5_000;
    for (;;) {
      const record = await this.#store.claimIdempotency(
        key,
        fingerprint,
        token,
        this.#leaseSeconds,
        previousKey,
      );
      if (record === null) return this.#runClaimed(key, token, attempt);
      if (record.fingerprint !== fingerprint && record.fingerprint !== previousFingerprint) {
        return conflictOutcome(provider);
      }
      if (record.outcome !== null) return decodeOutcome(record.outcome);
      if (Date.now() > deadline) return stillRunning(provider);
      await sleep(this.#pollMs);
    }
  }

  async #runClaimed(key: string, token: string, attempt: () => Promise<Attempt>): Promise<OtpOutcome> {
    let result: Attempt;
    try {
      result = await attempt();
    } catch (error) {
      await this.#store.releaseIdempotency(key, token).catch(() => undefined);
      throw error;
    }
    if (result.final) {
      // The provider was asked: its answer is the caller's, even if the store cannot keep it now.
      await this.#store
        .completeIdempotency(key, token, encodeOutcome(result.outcome), IDEMPOTENCY_TTL_SECONDS)
        .catch((error: unknown) => {
          if (!(error instanceof StoreUnavailableError)) throw error;
          this.#onStateError(error);
        });
    } else {
      await this.#store.releaseIdempotency(key, token);
    }
    return result.outcome;
  }
}

/** Field errors of an idempotency key: 1 to 255 characters of well-formed text, no control or bidi characters. */
export function idempotencyKeyErrors(key: string): FieldError[] {
  const field = "idempotencyKey";
  if (key.trim() === "") return [{ field, message: "Must not be empty when given." }];
  if (key.length > KEY_MAX_LENGTH) return [{ field, message: `At most ${KEY_MAX_LENGTH} characters.` }];
  const problem = textProblem(key);
  return problem ? [{ field, message: problem }] : [];
}

/** The answer to a key reused with another input. */
export function conflictOutcome(provider: ProviderId): OtpOutcome {
  return {
    kind: "InvalidInput",
    provider,
    providerCode: null,
    retryable: false,
    message: "This idempotency key was already used with a different input.",
    fieldErrors: [
      {
        field: "idempotencyKey",
        message: "Already used with a different input; use a new key for a new request.",
      },
    ],
  };
}

function stillRunning(provider: ProviderId): OtpOutcome {
  return {
    kind: "ProviderUnavailable",
    provider,
    providerCode: null,
    retryable: true,
    retryAfterSeconds: 1,
    message: "The first request with this idempotency key is still running. Please try again shortly.",
  };
}

/**
 * The stored form of an outcome: an `OtpSent` as its packed challenge (`devOtp` is never stored), any other
 * outcome as JSON.
 */
export function encodeOutcome(outcome: OtpOutcome): string {
  return outcome.kind === "OtpSent" ? packSentOutcome(outcome.challenge) : JSON.stringify(outcome);
}

/** An outcome read back from the store (also as JSON, the form records written before took), dates revived. */
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

/** What a fingerprint is the HMAC of: the provider and its normalised request. */
function fingerprintOf(provider: ProviderId, request: unknown): string {
  return `${provider}\0${canonicalJson(request)}`;
}

/** JSON with object keys sorted, so equal inputs give equal text whatever order their fields came in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(
          Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : item,
  );
}
