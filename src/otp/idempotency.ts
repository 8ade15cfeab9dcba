import { randomUUID } from "node:crypto";
import type { FieldError, OtpOutcome, ProviderId } from "./model.js";
import { textProblem } from "./field-errors.js";
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

/** How many duplicates of one key may wait for its first request at once, per replica; past it they are refused. */
export const MAX_WAITERS_PER_KEY = 16;

export interface IdempotencyOptions {
  store: OtpStore;
  keys: StateKeys;
  /** How long a first request may hold its key before another may take over (it crashed, say). */
  leaseSeconds: number;
  /**
   * A waiting duplicate is told when the first request ends (the store's watch); it also looks again after this
   * many milliseconds, then twice as long each time up to `maxRecheckMs`, in case a notice was lost.
   */
  recheckMs?: number;
  maxRecheckMs?: number;
  /** Duplicates that may wait on one key at once in this process ({@link MAX_WAITERS_PER_KEY}). */
  maxWaiters?: number;
  /** The store failed to keep a final outcome: it is answered all the same (the send happened). */
  onStateError?: (error: StoreUnavailableError) => void;
}

/** One request with an idempotency key. */
export interface IdempotentCall {
  provider: ProviderId;
  idempotencyKey: string;
  /**
   * Who the request goes to (the destination's id): the key is the caller's within it, so one caller's key cannot
   * block or read another's request to another destination.
   */
  scope: string;
  /** The provider's normalised request: the same key with another input is a conflict. */
  request: unknown;
  /**
   * Called once, when the request is about to wait for a duplicate in flight: counts the wait against a limit,
   * or answers why it may not wait.
   */
  beforeWait?: () => Promise<OtpOutcome | null>;
}

/** A first request running in this process: duplicates here wait on its result, with no store call. */
interface Running {
  fingerprint: string;
  /** Its attempt, or null when it failed (the store away): a duplicate then tries for itself. */
  result: Promise<Attempt | null>;
}

/** What one call knows while it goes: whether its wait was counted, and when it looks again. */
interface CallState {
  key: string;
  /** During a state secret rotation, the key and the input's fingerprint under the previous secret. */
  previousKey: string | undefined;
  previousFingerprint: string | undefined;
  counted: boolean;
  recheckMs: number;
  /** A pending record ends within its lease; this bound only guards against one that never does. */
  deadline: number;
}

/**
 * Idempotency keys: the same key with the same input within 24 h gets the first outcome again with no second
 * upstream call, also when both arrive at once (the second waits for the first) and across replicas sharing a
 * store. A key is scoped to the request's destination. Duplicates wait without polling: on the first's promise in
 * the same process, else on the store's notice that the claim ended (with a gentle look again now and then), at
 * most {@link MAX_WAITERS_PER_KEY} on one key. The record holds an HMAC of the input and the outcome with
 * `devOtp: null`: never an OTP, a password or an Aadhaar number, not even as an unkeyed hash.
 */
export class Idempotency {
  readonly #store: OtpStore;
  readonly #keys: StateKeys;
  readonly #leaseSeconds: number;
  readonly #recheckMs: number;
  readonly #maxRecheckMs: number;
  readonly #maxWaiters: number;
  readonly #onStateError: (error: StoreUnavailableError) => void;
  readonly #running = new Map<string, Running>();
  readonly #waiters = new Map<string, number>();

  constructor(options: IdempotencyOptions) {
    this.#store = options.store;
    this.#keys = options.keys;
    this.#leaseSeconds = options.leaseSeconds;
    this.#recheckMs = options.recheckMs ?? 1000;
    this.#maxRecheckMs = options.maxRecheckMs ?? 8000;
    this.#maxWaiters = options.maxWaiters ?? MAX_WAITERS_PER_KEY;
    this.#onStateError = options.onStateError ?? (() => undefined);
  }

  /**
   * Run `attempt` once per key (within its scope) and input; a duplicate gets the stored outcome, a key reused
   * with another input gets `InvalidInput` on `idempotencyKey`. Rejects with `StoreUnavailableError` when the
   * store is away.
   */
  async once(call: IdempotentCall, attempt: () => Promise<Attempt>): Promise<OtpOutcome> {
    const scoped = `${call.scope}\0${call.idempotencyKey}`;
    const key = this.#keys.key("idempotency", scoped);
    const input = fingerprintOf(call.provider, call.request);
    const fingerprint = this.#keys.key("fingerprint", input);
    const state: CallState = {
      key,
      // A record written under the previous secret holds its own forms of both.
      previousKey: this.#keys.previousKey("idempotency", scoped),
      previousFingerprint: this.#keys.previousKey("fingerprint", input),
      counted: false,
      recheckMs: this.#recheckMs,
      deadline: Date.now() + this.#leaseSeconds * 1000 + 5_000,
    };
    for (;;) {
      const running = this.#running.get(key);
      if (running?.fingerprint === fingerprint) {
        const refused = await this.#enterWait(state, call);
        if (refused) return refused;
        const result = await running.result.finally(() => {
          this.#leaveWait(key);
        });
        // Only an answer that is the key's is shared (as a replay: no devOtp); else (a local refusal, a failure)
        // this one tries itself.
        if (result?.final) return replayed(result.outcome);
        continue;
      }
      if (running) return (await this.#throughStore(state, call, fingerprint, attempt)).outcome;
      let settle: (result: Attempt | null) => void = () => undefined;
      this.#running.set(key, {
        fingerprint,
        result: new Promise((resolve) => {
          settle = resolve;
        }),
      });
      let result: Attempt | null = null;
      try {
        result = await this.#throughStore(state, call, fingerprint, attempt);
        return result.outcome;
      } finally {
        this.#running.delete(key);
        settle(result);
      }
    }
  }

  /** Claim the key in the store and run, or wait for the request that holds it (on any replica). */
  async #throughStore(
    state: CallState,
    call: IdempotentCall,
    fingerprint: string,
    attempt: () => Promise<Attempt>,
  ): Promise<Attempt> {
    const { key } = state;
    const token = randomUUID();
    for (;;) {
      // Watched before the claim is read: an end between the two is not missed.
      const watch = await this.#store.watchIdempotency(key);
      try {
        const record = await this.#store.claimIdempotency(
          key,
          fingerprint,
          token,
          this.#leaseSeconds,
          state.previousKey,
        );
        if (record === null) return await this.#runClaimed(key, token, attempt);
        if (record.fingerprint !== fingerprint && record.fingerprint !== state.previousFingerprint) {
          return { outcome: conflictOutcome(call.provider), final: true };
        }
        if (record.outcome !== null) return { outcome: record.outcome, final: true };
        if (Date.now() > state.deadline) return { outcome: stillRunning(call.provider), final: false };
        const refused = await this.#enterWait(state, call);
        if (refused) return { outcome: refused, final: false };
        try {
          await endedOrAfter(watch.ended, state.recheckMs);
        } finally {
          this.#leaveWait(key);
        }
        state.recheckMs = Math.min(state.recheckMs * 2, this.#maxRecheckMs);
      } finally {
        watch.close();
      }
    }
  }

  /** Take a waiter's place on the key, counting the wait once per call; or answer why this one may not wait. */
  async #enterWait(state: CallState, call: IdempotentCall): Promise<OtpOutcome | null> {
    const waiting = this.#waiters.get(state.key) ?? 0;
    if (waiting >= this.#maxWaiters) return stillRunning(call.provider);
    this.#waiters.set(state.key, waiting + 1);
    if (state.counted || !call.beforeWait) return null;
    state.counted = true;
    try {
      const refused = await call.beforeWait();
      if (refused) this.#leaveWait(state.key);
      return refused;
    } catch (error) {
      this.#leaveWait(state.key);
      throw error;
    }
  }

  #leaveWait(key: string): void {
    const waiting = (this.#waiters.get(key) ?? 1) - 1;
    if (waiting > 0) this.#waiters.set(key, waiting);
    else this.#waiters.delete(key);
  }

  async #runClaimed(key: string, token: string, attempt: () => Promise<Attempt>): Promise<Attempt> {
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
        .completeIdempotency(key, token, result.outcome, IDEMPOTENCY_TTL_SECONDS)
        .catch((error: unknown) => {
          if (!(error instanceof StoreUnavailableError)) throw error;
          this.#onStateError(error);
        });
    } else {
      await this.#store.releaseIdempotency(key, token);
    }
    return result;
  }
}

/** An outcome as a duplicate gets it: the OTP goes to the first caller only, as when read back from the store. */
function replayed(outcome: OtpOutcome): OtpOutcome {
  return outcome.kind === "OtpSent" ? { ...outcome, devOtp: null } : outcome;
}

/** Settles when `ended` does, or after `ms`, whichever is first (the timer cleared either way). */
async function endedOrAfter(ended: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ended,
      new Promise((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
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

/** The first request with the key is still running: past the wait's bound, or past its deadline. */
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
