import type { Challenge } from "../model.js";
import { packChallenge, unpackChallenge } from "./challenge-codec.js";
import {
  StoreSaturatedError,
  type IdempotencyRecord,
  type LimitDecision,
  type LimitRequest,
  type OtpStore,
} from "./store.js";

/** The default memory bound (`OTP_MEMORY_MAX_MB`). */
export const DEFAULT_MAX_MB = 256;

const MB = 1024 * 1024;
const SWEEP_INTERVAL_MS = 1000;
/** V8's largest Map; a lane this full is full whatever the byte bound says. */
const MAX_LANE_ENTRIES = 2 ** 24 - 1;

/**
 * What one entry costs on the V8 heap (64-bit, no pointer compression, as Node ships), counted from above:
 * its share of the Map's table (3 slots and half a bucket, up to twice that just after the table grew: 56 bytes),
 * and each string and number it holds. `test/state/memory-bounds.test.ts` measures the heap against this.
 */
const ENTRY_BYTES = 56;
const HEAP_NUMBER_BYTES = 16;
const ARRAY_BYTES = 32 + 16;

/** A string's bytes: a 16-byte header, one byte a character (two when any is past Latin-1), 8-byte aligned. */
function stringBytes(text: string): number {
  const width = NOT_LATIN1.test(text) ? 2 : 1;
  return (16 + text.length * width + 7) & ~7;
}
const NOT_LATIN1 = /[\u0100-\u{10ffff}]/u;

/** Send times under one limit key, oldest first: one number alone (no array) in the common case. */
type Times = number | number[];

function timesBytes(times: Times): number {
  return typeof times === "number" ? HEAP_NUMBER_BYTES : ARRAY_BYTES + 8 * times.length;
}

function lastTime(times: Times): number {
  return typeof times === "number" ? times : (times[times.length - 1] ?? 0);
}

/**
 * What an entry holds: send times under a limit key, or a string whose first character says what it is and whose
 * time of writing (base 36) runs to the first comma: `c<saved at>,<packed challenge>` for a challenge (its id is
 * the key), `p<claimed at>,<token>,<fingerprint>` for a pending idempotency record and
 * `d<completed at>,<fingerprint>,<outcome>` for a done one (tokens and fingerprints hold no comma).
 */
type Stored = Times | string;

function writtenAt(value: Stored): number {
  return typeof value === "string" ? parseInt(value.slice(1, value.indexOf(",")), 36) : lastTime(value);
}

function storedBytes(value: Stored): number {
  return typeof value === "string" ? stringBytes(value) : timesBytes(value);
}

/**
 * Entries that all live `ttlMs` from their last write, kept in write order (a write moves its entry to the back):
 * so the front holds the oldest, and expired entries are found there without walking the rest.
 */
class Lane {
  readonly entries = new Map<string, Stored>();
  /** Nothing in the lane expires before this (a lower bound: a write can move the front entry back). */
  nextExpiry = Infinity;

  constructor(readonly ttlMs: number) {}

  expiresAt(value: Stored): number {
    return writtenAt(value) + this.ttlMs;
  }
}

function parseRecord(value: string): { token: string | null } & IdempotencyRecord {
  const first = value.indexOf(",");
  const second = value.indexOf(",", first + 1);
  if (value.startsWith("p")) {
    return { token: value.slice(first + 1, second), fingerprint: value.slice(second + 1), outcome: null };
  }
  return { token: null, fingerprint: value.slice(first + 1, second), outcome: value.slice(second + 1) };
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

/** The rules of one send that share a key: one entry holds the cooldown and the cap counted under it. */
interface KeyRules {
  key: string;
  /** How long the entry matters after its last send: the longest window or cooldown on the key. */
  ttlMs: number;
  /** How many send times to keep: the largest cap (1 for a cooldown alone). */
  keep: number;
  cooldownMs: number;
  caps: { name: string; max: number; windowMs: number }[];
}

function byKey(request: LimitRequest): KeyRules[] {
  const rules = new Map<string, KeyRules>();
  const rulesOf = (key: string) => {
    let found = rules.get(key);
    if (!found) {
      found = { key, ttlMs: 0, keep: 1, cooldownMs: 0, caps: [] };
      rules.set(key, found);
    }
    return found;
  };
  if (request.cooldown) {
    const rule = rulesOf(request.cooldown.key);
    rule.cooldownMs = request.cooldown.ms;
    rule.ttlMs = Math.max(rule.ttlMs, request.cooldown.ms);
  }
  for (const cap of request.caps) {
    const rule = rulesOf(cap.key);
    rule.caps.push(cap);
    rule.ttlMs = Math.max(rule.ttlMs, cap.windowMs);
    rule.keep = Math.max(rule.keep, cap.max);
  }
  return [...rules.values()];
}

/** How full a {@link MemoryStore} is. */
export interface MemoryStoreUsage {
  /** The heap the stored entries take, as counted by the store (an upper estimate, checked by a test). */
  usedBytes: number;
  maxBytes: number;
  challenges: number;
  counters: number;
  idempotency: number;
}

export interface MemoryStoreOptions {
  /** The bound on the state's heap, in bytes (`OTP_MEMORY_MAX_MB`). */
  maxBytes?: number;
  now?: () => number;
}

/**
 * The default store: one process, no setup, bounded by memory. It never forgets live state to make room:
 * expired entries go first (they are swept from the front of their lanes), and when the live ones fill the
 * bound a request that needs a new entry is refused with {@link StoreSaturatedError}, so no send goes out
 * whose limits could not be kept. Writes that follow a send (its challenge, its idempotency outcome) are
 * always kept: new entries are admitted only up to the bound less a headroom for them.
 */
export class MemoryStore implements OtpStore {
  readonly #now: () => number;
  readonly #maxBytes: number;
  /** New entries are admitted up to here; the rest is for the writes of sends already under way. */
  readonly #admitBytes: number;
  #usedBytes = 0;
  #nextSweepAt = 0;
  /** Each group's lanes, by lifetime in milliseconds. */
  readonly #counters = new Map<number, Lane>();
  readonly #challenges = new Map<number, Lane>();
  /** Idempotency records: pending claims (by lease) apart from done ones, which are the state that lasts. */
  readonly #claims = new Map<number, Lane>();
  readonly #records = new Map<number, Lane>();

  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_MB * MB;
    this.#admitBytes = this.#maxBytes - Math.min(this.#maxBytes / 8, 4 * MB);
  }

  saveChallenge(challenge: Challenge, ttlSeconds: number): Promise<void> {
    const now = this.#now();
    const lane = laneOf(this.#challenges, ttlSeconds * 1000);
    // The id is the key: the packed form keeps the rest.
    this.#write(lane, challenge.id, `c${now.toString(36)},${packChallenge(challenge)}`, now);
    return Promise.resolve();
  }

  loadChallenges(ids: readonly string[]): Promise<(Challenge | null)[]> {
    const now = this.#now();
    return Promise.resolve(
      ids.map((id) => {
        const found = this.#find(this.#challenges, id, now);
        if (!found) return null;
        const value = found.value;
        return unpackChallenge(value.slice(value.indexOf(",") + 1));
      }),
    );
  }

  consumeLimits(request: LimitRequest): Promise<LimitDecision> {
    return settle(() => this.#consumeLimits(request));
  }

  #consumeLimits(request: LimitRequest): LimitDecision {
    const now = this.#now();
    const refusals: Refusal[] = [];
    const entries = byKey(request).map((rules) => {
      const lane = laneOf(this.#counters, rules.ttlMs);
      const found = this.#live(lane, rules.key, now);
      const stored = typeof found === "string" ? undefined : found;
      const all = stored === undefined ? [] : typeof stored === "number" ? [stored] : stored;
      const live = all.filter((time) => time > now - rules.ttlMs);
      const last = live[live.length - 1];
      if (rules.cooldownMs > 0 && last !== undefined && last + rules.cooldownMs > now) {
        refusals.push({ limit: "cooldown", retryAfterMs: last + rules.cooldownMs - now });
      }
      for (const cap of rules.caps) {
        const inWindow = live.filter((time) => time > now - cap.windowMs);
        const oldest = inWindow[inWindow.length - cap.max];
        if (oldest !== undefined) {
          refusals.push({ limit: cap.name, retryAfterMs: oldest + cap.windowMs - now });
        }
      }
      const next = [...live, now].slice(-rules.keep);
      return { lane, key: rules.key, stored, times: next.length === 1 ? now : next };
    });
    const refused = longestWait(refusals);
    if (refused) return { allowed: false, ...refused };

    const growth = entries.reduce(
      (sum, { key, stored, times }) =>
        sum +
        timesBytes(times) -
        (stored === undefined ? -ENTRY_BYTES - stringBytes(key) : timesBytes(stored)),
      0,
    );
    this.#admit(
      growth,
      entries.map(({ lane }) => lane),
      now,
    );
    for (const { lane, key, times } of entries) this.#write(lane, key, times, now);
    return { allowed: true };
  }

  claimIdempotency(
    key: string,
    fingerprint: string,
    token: string,
    leaseSeconds: number,
  ): Promise<IdempotencyRecord | null> {
    return settle(() => this.#claimIdempotency(key, fingerprint, token, leaseSeconds));
  }

  #claimIdempotency(key: string, fingerprint: string, token: string, leaseSeconds: number) {
    const now = this.#now();
    const found = this.#findRecord(key, now);
    if (found) {
      const { fingerprint: stored, outcome } = parseRecord(found.value);
      return { fingerprint: stored, outcome };
    }
    const lane = laneOf(this.#claims, leaseSeconds * 1000);
    const value = `p${now.toString(36)},${token},${fingerprint}`;
    this.#admit(ENTRY_BYTES + stringBytes(key) + stringBytes(value), [lane], now);
    this.#write(lane, key, value, now);
    return null;
  }

  completeIdempotency(key: string, token: string, outcome: string, ttlSeconds: number): Promise<void> {
    const now = this.#now();
    const found = this.#find(this.#claims, key, now);
    if (!found) return Promise.resolve();
    const record = parseRecord(found.value);
    if (record.token !== token) return Promise.resolve();
    this.#remove(found.lane, key, found.value);
    const lane = laneOf(this.#records, ttlSeconds * 1000);
    // After a send: kept whatever the bound says (the headroom is for this), or a replay would send again.
    this.#write(lane, key, `d${now.toString(36)},${record.fingerprint},${outcome}`, now);
    return Promise.resolve();
  }

  releaseIdempotency(key: string, token: string): Promise<void> {
    const found = this.#find(this.#claims, key, this.#now());
    if (found && parseRecord(found.value).token === token) this.#remove(found.lane, key, found.value);
    return Promise.resolve();
  }

  /** The bytes up to which new entries are admitted (the bound less the headroom for sends under way). */
  get admitBytes(): number {
    return this.#admitBytes;
  }

  /** How full the store is. */
  usage(): MemoryStoreUsage {
    const count = (lanes: Map<number, Lane>) =>
      [...lanes.values()].reduce((sum, lane) => sum + lane.entries.size, 0);
    return {
      usedBytes: this.#usedBytes,
      maxBytes: this.#maxBytes,
      challenges: count(this.#challenges),
      counters: count(this.#counters),
      idempotency: count(this.#claims) + count(this.#records),
    };
  }

  ping(): Promise<boolean> {
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Make room for `bytes` more, or refuse: expired entries go first; live ones are never dropped for room.
   * Refuses with the time until the oldest live entry expires.
   */
  #admit(bytes: number, lanes: readonly Lane[], now: number): void {
    const crowded = () =>
      this.#usedBytes + bytes > this.#admitBytes ||
      lanes.some((lane) => lane.entries.size >= MAX_LANE_ENTRIES);
    if (bytes <= 0 || !crowded()) return;
    this.#sweep(now);
    if (!crowded()) return;
    const oldest = Math.min(...this.#lastingLanes().map((lane) => lane.nextExpiry));
    throw new StoreSaturatedError(
      "The memory store is full of live state.",
      Number.isFinite(oldest) ? Math.max(1, oldest - now) : SWEEP_INTERVAL_MS,
    );
  }

  #write(lane: Lane, key: string, value: Stored, now: number): void {
    const previous = lane.entries.get(key);
    if (previous !== undefined) this.#remove(lane, key, previous);
    lane.entries.set(key, value);
    this.#usedBytes += ENTRY_BYTES + stringBytes(key) + storedBytes(value);
    lane.nextExpiry = Math.min(lane.nextExpiry, lane.expiresAt(value));
    if (now >= this.#nextSweepAt) this.#sweep(now);
  }

  #remove(lane: Lane, key: string, value: Stored): void {
    lane.entries.delete(key);
    this.#usedBytes -= ENTRY_BYTES + stringBytes(key) + storedBytes(value);
  }

  /** The live value under `key` in `lane`; an expired one is removed. */
  #live(lane: Lane, key: string, now: number): Stored | undefined {
    const value = lane.entries.get(key);
    if (value === undefined) return undefined;
    if (lane.expiresAt(value) > now) return value;
    this.#remove(lane, key, value);
    return undefined;
  }

  /** The live value under `key` in any lane of a group (a group has a few lanes: one per lifetime in use). */
  #find(group: Map<number, Lane>, key: string, now: number): { lane: Lane; value: string } | undefined {
    for (const lane of group.values()) {
      const value = this.#live(lane, key, now);
      if (typeof value === "string") return { lane, value };
    }
    return undefined;
  }

  #findRecord(key: string, now: number): { lane: Lane; value: string } | undefined {
    return this.#find(this.#records, key, now) ?? this.#find(this.#claims, key, now);
  }

  /** Drop what expired, from the front of every lane that may have some; stop at the first live entry. */
  #sweep(now: number): void {
    this.#nextSweepAt = now + SWEEP_INTERVAL_MS;
    for (const lane of this.#allLanes()) {
      if (lane.nextExpiry > now) continue;
      lane.nextExpiry = Infinity;
      for (const [key, value] of lane.entries) {
        const expiresAt = lane.expiresAt(value);
        if (expiresAt > now) {
          lane.nextExpiry = expiresAt;
          break;
        }
        this.#remove(lane, key, value);
      }
    }
  }

  #allLanes(): Lane[] {
    return [...this.#lastingLanes(), ...this.#claims.values()];
  }

  /** The lanes of state that lasts (not pending claims, which end within their lease). */
  #lastingLanes(): Lane[] {
    return [...this.#counters.values(), ...this.#challenges.values(), ...this.#records.values()];
  }
}

/** A synchronous step as a promise: a refusal it throws becomes a rejection, as from any other store. */
function settle<T>(step: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(step());
  });
}

function laneOf(group: Map<number, Lane>, ttlMs: number): Lane {
  let lane = group.get(ttlMs);
  if (!lane) {
    lane = new Lane(ttlMs);
    group.set(ttlMs, lane);
  }
  return lane;
}
