import type { Challenge } from "../model.js";
import { packChallenge, unpackChallenge } from "./challenge-codec.js";
import type { CounterRef, IdempotencyRecord, LimitDecision, LimitRequest, OtpStore } from "./store.js";

/**
 * Entries at most in each of the store's maps (challenges, cooldowns, counters, idempotency records); past it
 * the oldest are dropped. About 20 MB when full (`OTP_MEMORY_MAX_ENTRIES`); above ~6,000 sends an hour the
 * oldest hourly counters go early, and Redis is the store to use.
 */
export const DEFAULT_MAX_ENTRIES = 20_000;

const SWEEP_INTERVAL_MS = 1000;
const EVICT_FRACTION = 0.1;

interface Entry<T> {
  value: T;
  expiresAt: number;
}

/**
 * A map with TTLs and a size bound; when it is full the oldest tenth goes at once, and expired entries at the
 * front are swept by writes at most once a second (a walk from the front of the map costs more than a write),
 * so memory never grows without limit. Each map of the store uses one TTL per
 * kind of key, so insertion order is (nearly) expiry order.
 */
export class BoundedTtlMap<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #max: number;
  readonly #now: () => number;
  #nextSweepAt = 0;

  constructor(max: number, now: () => number = Date.now) {
    this.#max = max;
    this.#now = now;
  }

  get(key: string): T | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: T, ttlMs: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.#now() + ttlMs });
    this.#sweep();
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  #sweep(): void {
    const now = this.#now();
    const expired = now >= this.#nextSweepAt;
    const full = this.#entries.size > this.#max;
    if (!expired && !full) return;
    if (expired) this.#nextSweepAt = now + SWEEP_INTERVAL_MS;
    // When full, drop the oldest tenth at once: each walk from the front of a Map steps over the holes earlier
    // deletions left there, so one walk per write would cost more than the write.
    const keep = full ? Math.floor(this.#max * (1 - EVICT_FRACTION)) : this.#max;
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size > keep || (expired && entry.expiresAt <= now)) this.#entries.delete(key);
      else break;
    }
  }
}

interface Refusal {
  limit: string;
  retryAfterMs: number;
}

/** The refusal that lasts longest: only once it is over do all the limits allow a send. */
function longestWait(refusals: readonly Refusal[]): Refusal | undefined {
  return refusals.reduce<Refusal | undefined>(
    (worst, next) => (worst && worst.retryAfterMs >= next.retryAfterMs ? worst : next),
    undefined,
  );
}

interface PendingOrDone extends IdempotencyRecord {
  token: string;
}

/** How many entries each part of a {@link MemoryStore} holds. */
export interface MemoryStoreSizes {
  challenges: number;
  cooldowns: number;
  counters: number;
  idempotency: number;
}

/**
 * The default store: one process, no setup, bounded. When full it forgets the oldest entries first, so a
 * flood of distinct keys can reset old counters early; the per-IP cap bounds how fast one caller can do that.
 */
export class MemoryStore implements OtpStore {
  readonly #now: () => number;
  /** As compact JSON text (see {@link packChallenge}): far less memory than objects, and every read gets its own copy. */
  readonly #challenges: BoundedTtlMap<string>;
  readonly #cooldowns: BoundedTtlMap<number>;
  /** Send times under each cap key, oldest first, at most the cap's `max` of them. */
  readonly #counters: BoundedTtlMap<number[]>;
  readonly #idempotency: BoundedTtlMap<PendingOrDone>;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    const max = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#now = options.now ?? Date.now;
    this.#challenges = new BoundedTtlMap(max, this.#now);
    this.#cooldowns = new BoundedTtlMap(max, this.#now);
    this.#counters = new BoundedTtlMap(max, this.#now);
    this.#idempotency = new BoundedTtlMap(max, this.#now);
  }

  saveChallenge(challenge: Challenge, ttlSeconds: number): Promise<void> {
    this.#challenges.set(challenge.id, packChallenge(challenge), ttlSeconds * 1000);
    return Promise.resolve();
  }

  loadChallenges(ids: readonly string[]): Promise<(Challenge | null)[]> {
    return Promise.resolve(
      ids.map((id) => {
        const stored = this.#challenges.get(id);
        return stored === undefined ? null : unpackChallenge(stored);
      }),
    );
  }

  consumeLimits(request: LimitRequest): Promise<LimitDecision> {
    const now = this.#now();
    const refusals: Refusal[] = [];
    const { cooldown } = request;
    const last = cooldown ? this.#cooldowns.get(cooldown.key) : undefined;
    if (cooldown && last !== undefined && last + cooldown.ms > now) {
      refusals.push({ limit: "cooldown", retryAfterMs: last + cooldown.ms - now });
    }
    const live = request.caps.map((cap) => {
      const times = (this.#counters.get(cap.key) ?? []).filter((time) => time > now - cap.windowMs);
      const oldest = cap.max > 0 ? times[times.length - cap.max] : undefined;
      if (oldest !== undefined) refusals.push({ limit: cap.name, retryAfterMs: oldest + cap.windowMs - now });
      return times;
    });
    const refused = longestWait(refusals);
    if (refused) return Promise.resolve({ allowed: false, ...refused });

    if (cooldown) this.#cooldowns.set(cooldown.key, now, cooldown.ms);
    request.caps.forEach((cap, index) => {
      this.#counters.set(cap.key, [...(live[index] ?? []), now].slice(-cap.keep), cap.windowMs);
    });
    return Promise.resolve({ allowed: true });
  }

  recentCounts(counters: readonly CounterRef[]): Promise<number[]> {
    const now = this.#now();
    return Promise.resolve(
      counters.map(
        (counter) =>
          (this.#counters.get(counter.key) ?? []).filter((time) => time > now - counter.windowMs).length,
      ),
    );
  }

  claimIdempotency(
    key: string,
    fingerprint: string,
    token: string,
    leaseSeconds: number,
  ): Promise<IdempotencyRecord | null> {
    const existing = this.#idempotency.get(key);
    if (existing) return Promise.resolve({ fingerprint: existing.fingerprint, outcome: existing.outcome });
    this.#idempotency.set(key, { fingerprint, outcome: null, token }, leaseSeconds * 1000);
    return Promise.resolve(null);
  }

  completeIdempotency(key: string, token: string, outcome: string, ttlSeconds: number): Promise<void> {
    const existing = this.#idempotency.get(key);
    if (existing?.token === token) this.#idempotency.set(key, { ...existing, outcome }, ttlSeconds * 1000);
    return Promise.resolve();
  }

  releaseIdempotency(key: string, token: string): Promise<void> {
    const existing = this.#idempotency.get(key);
    if (existing?.token === token && existing.outcome === null) this.#idempotency.delete(key);
    return Promise.resolve();
  }

  /** How many entries each part holds (they never pass `maxEntries`). */
  sizes(): MemoryStoreSizes {
    return {
      challenges: this.#challenges.size,
      cooldowns: this.#cooldowns.size,
      counters: this.#counters.size,
      idempotency: this.#idempotency.size,
    };
  }

  ping(): Promise<boolean> {
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
