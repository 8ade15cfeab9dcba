import type { Challenge } from "../model.js";
import type { OtpStore } from "./store.js";

/** Entries at most; past it the oldest are dropped, so memory never grows without limit. */
const DEFAULT_MAX_ENTRIES = 50_000;

interface Entry<T> {
  value: T;
  expiresAt: number;
}

/**
 * A map with TTLs and a size bound; the oldest entry goes first when it is full.
 * Insertion order is expiry order for equal TTLs, which is what the store uses.
 */
export class BoundedTtlMap<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #max: number;
  readonly #now: () => number;

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

  set(key: string, value: T, ttlSeconds: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.#now() + ttlSeconds * 1000 });
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** The default store: one process, no setup. */
export class MemoryStore implements OtpStore {
  readonly #challenges: BoundedTtlMap<Challenge>;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.#challenges = new BoundedTtlMap(options.maxEntries ?? DEFAULT_MAX_ENTRIES, options.now);
  }

  saveChallenge(challenge: Challenge, ttlSeconds: number): Promise<void> {
    this.#challenges.set(challenge.id, challenge, ttlSeconds);
    return Promise.resolve();
  }

  loadChallenges(ids: readonly string[]): Promise<(Challenge | null)[]> {
    return Promise.resolve(ids.map((id) => this.#challenges.get(id) ?? null));
  }

  ping(): Promise<boolean> {
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
