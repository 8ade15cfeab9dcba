import type { Challenge, OtpOutcome } from "../model.js";
import { rulesByKey, type KeyRules } from "./limit-rules.js";
import { ByteWriter, sumOf } from "./memory/bytes.js";
import {
  Interned,
  readChallenge,
  readRecord,
  writeChallenge,
  writeRecord,
} from "./memory/challenge-bytes.js";
import { claimValue, Claims } from "./memory/claims.js";
import { Counters, NO_ROOM } from "./memory/counters.js";
import { KeyWatchers } from "./key-watchers.js";
import { Logs } from "./memory/logs.js";
import {
  StoreSaturatedError,
  type CounterRef,
  type IdempotencyRecord,
  type IdempotencyWatch,
  type LimitDecision,
  type LimitReceipt,
  type LimitRequest,
  type OtpStore,
} from "./store.js";

/** The default memory bound (`OTP_MEMORY_MAX_MB`). */
export const DEFAULT_MAX_MB = 256;

const MB = 1024 * 1024;
/** How often the store may walk all its counters to drop expired ones when it is full (else it refuses at once). */
const SWEEP_INTERVAL_MS = 1000;

/** How full a {@link MemoryStore} is. */
export interface MemoryStoreUsage {
  /** The memory the stored state takes, as counted by the store (an upper estimate, checked by a test). */
  usedBytes: number;
  maxBytes: number;
  challenges: number;
  counters: number;
  idempotency: number;
}

export interface MemoryStoreOptions {
  /** The bound on the state's memory, in bytes (`OTP_MEMORY_MAX_MB`). */
  maxBytes?: number;
  now?: () => number;
}

/**
 * The default store: one process, no setup, bounded by memory. Its state is laid out by `memory/` (see its
 * README.md); the limit rules are `limit-rules.ts`. It never forgets live state to make room: expired entries go
 * first (a few slots swept at each write that adds an entry, all of them before a refusal), and when the live ones
 * fill the bound a request that needs room is refused with {@link StoreSaturatedError}, so no send goes out whose
 * limits could not be kept. Writes that follow a send (its challenge, its idempotency outcome) are always kept: new
 * counters and claims are admitted only up to the bound less a headroom for them.
 */
export class MemoryStore implements OtpStore {
  readonly #now: () => number;
  readonly #maxBytes: number;
  /** New entries are admitted up to here; the rest is for the writes of sends already under way. */
  readonly #admitBytes: number;
  readonly #counters = new Counters();
  readonly #challenges: Logs;
  /** Done idempotency records (the state that lasts); pending claims apart, in a plain map (they are few). */
  readonly #records: Logs;
  readonly #claims = new Claims();
  readonly #watchers = new KeyWatchers();
  readonly #interned = new Interned();
  readonly #writer = new ByteWriter();
  /** The bytes left for new entries (asked only of a send that the limits allow). */
  readonly #room = () => this.#admitBytes - this.#usedBytes();
  /** When the store last walked every counter, and when the oldest live one it saw expires. */
  #sweptAt = -Infinity;
  #oldestCounter = Infinity;

  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_MB * MB;
    this.#admitBytes = this.#maxBytes - Math.min(this.#maxBytes / 8, 4 * MB);
    const chunkBytes = Math.min(64 * 1024, Math.max(512, Math.floor(this.#maxBytes / 1024)));
    this.#challenges = new Logs(chunkBytes);
    this.#records = new Logs(chunkBytes);
  }

  saveChallenge(challenge: Challenge, ttlSeconds: number): Promise<void> {
    const writer = this.#writer.reset();
    writeChallenge(writer, challenge, this.#interned);
    // The id is the key: the body keeps the rest.
    this.#challenges.append(challenge.id, writer.view(), ttlSeconds * 1000, this.#now());
    return Promise.resolve();
  }

  loadChallenges(ids: readonly string[]): Promise<(Challenge | null)[]> {
    const now = this.#now();
    return Promise.resolve(
      ids.map((id) => {
        const reader = this.#challenges.find(id, now);
        return reader ? readChallenge(reader, id, this.#interned) : null;
      }),
    );
  }

  consumeLimits(request: LimitRequest): Promise<LimitDecision> {
    return settle(() => this.#consumeLimits(request, rulesByKey(request), false));
  }

  #consumeLimits(request: LimitRequest, rules: readonly KeyRules[], swept: boolean): LimitDecision {
    const now = this.#now();
    const decision = this.#counters.consume(request, rules, now, this.#room);
    if (decision !== NO_ROOM) return decision;
    if (!swept && now - this.#sweptAt >= SWEEP_INTERVAL_MS) {
      this.#sweep(now);
      return this.#consumeLimits(request, rules, true);
    }
    throw this.#saturated(now);
  }

  releaseLimits(request: LimitRequest, receipt: LimitReceipt): Promise<void> {
    return settle(() => {
      this.#counters.release(rulesByKey(request), Number(receipt), this.#now());
    });
  }

  recentCounts(counters: readonly CounterRef[]): Promise<number[]> {
    return settle(() => this.#counters.count(counters, this.#now()));
  }

  claimIdempotency(
    key: string,
    fingerprint: string,
    token: string,
    leaseSeconds: number,
    previousKey?: string,
  ): Promise<IdempotencyRecord | null> {
    return settle(() => {
      const now = this.#now();
      // The record under the key, else (during a rotation) the one under its previous form: read, never claimed.
      for (const held of previousKey === undefined ? [key] : [key, previousKey]) {
        const done = this.#findRecord(held, now);
        if (done) return done;
        const claim = this.#claims.live(held, now);
        if (claim) return { fingerprint: claim.fingerprint, outcome: null };
      }
      const value = claimValue(now + leaseSeconds * 1000, token, fingerprint);
      const bytes = this.#claims.cost(key, value);
      if (this.#usedBytes() + bytes > this.#admitBytes) {
        // A full walk of every table at most once a second, however many claims a flood brings.
        if (now - this.#sweptAt >= SWEEP_INTERVAL_MS) this.#sweep(now);
        if (this.#usedBytes() + bytes > this.#admitBytes) throw this.#saturated(now);
      }
      this.#claims.add(key, value, bytes);
      return null;
    });
  }

  completeIdempotency(key: string, token: string, outcome: OtpOutcome, ttlSeconds: number): Promise<void> {
    const now = this.#now();
    const claim = this.#claims.live(key, now);
    if (claim?.token !== token) return Promise.resolve();
    this.#claims.drop(key);
    const writer = this.#writer.reset();
    writeRecord(writer, claim.fingerprint, outcome, this.#interned);
    // After a send: kept whatever the bound says (the headroom is for this), or a replay would send again.
    this.#records.append(key, writer.view(), ttlSeconds * 1000, now);
    this.#watchers.end(key);
    return Promise.resolve();
  }

  releaseIdempotency(key: string, token: string): Promise<void> {
    if (this.#claims.live(key, this.#now())?.token === token) {
      this.#claims.drop(key);
      this.#watchers.end(key);
    }
    return Promise.resolve();
  }

  watchIdempotency(key: string): Promise<IdempotencyWatch> {
    return Promise.resolve(this.#watchers.watch(key));
  }

  /** The bytes up to which new entries are admitted (the bound less the headroom for sends under way). */
  get admitBytes(): number {
    return this.#admitBytes;
  }

  /**
   * The bytes what the store holds would take at worst (every table and index just grown, half full): the bound
   * holds at least its admitted bytes' worth of state at this rate. `memoryCapacity` reads it.
   */
  heldBytes(): number {
    const state = [this.#counters, this.#challenges, this.#records];
    return this.#claims.bytes + this.#interned.bytes + sumOf(state, (part) => part.heldBytes);
  }

  /** How full the store is. */
  usage(): MemoryStoreUsage {
    return {
      usedBytes: this.#usedBytes(),
      maxBytes: this.#maxBytes,
      challenges: this.#challenges.size,
      counters: this.#counters.size,
      idempotency: this.#claims.size + this.#records.size,
    };
  }

  ping(): Promise<boolean> {
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #usedBytes(): number {
    const { bytes } = this.#claims;
    return bytes + this.#interned.bytes + this.#counters.bytes + this.#challenges.bytes + this.#records.bytes;
  }

  /** Refused for room, with the time until the oldest live state expires and frees some. */
  #saturated(now: number): StoreSaturatedError {
    const oldest = Math.min(this.#oldestCounter, this.#challenges.nextRelease, this.#records.nextRelease);
    return new StoreSaturatedError(
      "The memory store is full of live state.",
      Number.isFinite(oldest) && oldest > now ? oldest - now : SWEEP_INTERVAL_MS,
    );
  }

  /** Drop everything expired: walk every counter table (at most once a second), expire logs and claims. */
  #sweep(now: number): void {
    this.#sweptAt = now;
    this.#oldestCounter = this.#counters.sweep(now);
    this.#challenges.expire(now);
    this.#records.expire(now);
    this.#claims.expire(now);
  }

  #findRecord(key: string, now: number): IdempotencyRecord | undefined {
    const reader = this.#records.find(key, now);
    return reader && readRecord(reader, this.#interned);
  }
}

/** A synchronous step as a promise: a refusal it throws becomes a rejection, as from any other store. */
function settle<T>(step: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(step());
  });
}
