import type { Challenge } from "../model.js";
import { ByteWriter } from "./bytes.js";
import {
  Interned,
  packSentOutcome,
  readChallenge,
  unpackSentOutcome,
  writeChallenge,
} from "./challenge-codec.js";
import { arrayBytes, CounterTable, GROWTH, hashed, hashKey, LAST_GROWTH } from "./counter-table.js";
import { KeyWatchers } from "./key-watchers.js";
import { RecordLog } from "./record-log.js";
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

/**
 * What a pending claim's entry costs on the V8 heap (64-bit, no pointer compression, as Node ships), counted from
 * above: its share of the Map's table (3 slots and half a bucket, up to twice that just after the table grew).
 * Claims are few (each lives for one request's lease); the lasting state is in typed arrays and buffers.
 */
const ENTRY_BYTES = 56;
/** A counter table's pool keeps each array of times in a slot of its own. */
const POOL_SLOT_BYTES = 8;

/** A string's bytes: a 16-byte header, one byte a character (two when any is past Latin-1), 8-byte aligned. */
function stringBytes(text: string): number {
  const width = NOT_LATIN1.test(text) ? 2 : 1;
  return (16 + text.length * width + 7) & ~7;
}
const NOT_LATIN1 = /[\u0100-\u{10ffff}]/u;

/** A pending claim: `<expires at, base 36>,<token>,<fingerprint>` (tokens and fingerprints hold no comma). */
function parseClaim(value: string): { expiresAt: number; token: string; fingerprint: string } {
  const first = value.indexOf(",");
  const second = value.indexOf(",", first + 1);
  return {
    expiresAt: parseInt(value.slice(0, first), 36),
    token: value.slice(first + 1, second),
    fingerprint: value.slice(second + 1),
  };
}

/** One key of a send's limits: the cooldown and the caps counted under it share one entry. */
interface KeyRules {
  key: string;
  /** The key under the previous state secret, during a rotation: its times count too, read only. */
  previousKey?: string;
  /** How long the entry matters after its last send: the longest window or cooldown on the key. */
  ttlMs: number;
  /** How many send times to keep: the largest cap (1 for a cooldown alone). */
  keep: number;
  cooldownMs: number;
  caps: { name: string; max: number; windowMs: number }[];
}

function byKey(request: LimitRequest): KeyRules[] {
  const rules: KeyRules[] = [];
  for (const cap of request.caps) {
    const found = rules.find((rule) => rule.key === cap.key);
    if (found) {
      found.caps.push(cap);
      found.ttlMs = Math.max(found.ttlMs, cap.windowMs);
      found.keep = Math.max(found.keep, cap.keep);
    } else {
      rules.push({
        key: cap.key,
        ...(cap.previousKey !== undefined && { previousKey: cap.previousKey }),
        ttlMs: cap.windowMs,
        keep: Math.max(1, cap.keep),
        cooldownMs: 0,
        caps: [cap],
      });
    }
  }
  const { cooldown } = request;
  if (cooldown) {
    const found = rules.find((rule) => rule.key === cooldown.key);
    if (found) {
      found.cooldownMs = cooldown.ms;
      found.ttlMs = Math.max(found.ttlMs, cooldown.ms);
    } else {
      rules.push({
        key: cooldown.key,
        ...(cooldown.previousKey !== undefined && { previousKey: cooldown.previousKey }),
        ttlMs: cooldown.ms,
        keep: 1,
        cooldownMs: cooldown.ms,
        caps: [],
      });
    }
  }
  return rules;
}

/** A rule's entry as found: where it is, and its live times. */
interface Located {
  table: CounterTable;
  a: number;
  b: number;
  slot: number;
  next: number | number[];
  /** The bytes of the pool array it holds now (0 for one time alone), which `next` replaces. */
  held: number;
}

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
 * The default store: one process, no setup, bounded by memory. Counters live in hash tables on typed arrays
 * ({@link CounterTable}: 16 bytes a slot), challenges and idempotency answers as packed bytes in buffers
 * ({@link RecordLog}), one table or log per lifetime. It never forgets live state to make room: expired entries go
 * first (a few slots swept at each write that adds an entry, and all of them before a refusal), and when the live ones fill the bound
 * a request that needs room is refused with {@link StoreSaturatedError}, so no send goes out whose limits could not
 * be kept. Writes that follow a send (its challenge, its idempotency outcome) are always kept: new counters and
 * claims are admitted only up to the bound less a headroom for them.
 */
export class MemoryStore implements OtpStore {
  readonly #now: () => number;
  readonly #maxBytes: number;
  /** New entries are admitted up to here; the rest is for the writes of sends already under way. */
  readonly #admitBytes: number;
  readonly #chunkBytes: number;
  /** Each kind's tables or logs, by lifetime in milliseconds. */
  readonly #counters = new Map<number, CounterTable>();
  readonly #challenges = new Map<number, RecordLog>();
  /** Done idempotency records (the state that lasts); pending claims apart, in a plain map (they are few). */
  readonly #records = new Map<number, RecordLog>();
  readonly #claims = new Map<string, string>();
  readonly #watchers = new KeyWatchers();
  #claimBytes = 0;
  readonly #interned = new Interned();
  readonly #writer = new ByteWriter();
  /** When the store last walked every counter, and when the oldest live one it saw expires. */
  #sweptAt = -Infinity;
  #oldestCounter = Infinity;

  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_MB * MB;
    this.#admitBytes = this.#maxBytes - Math.min(this.#maxBytes / 8, 4 * MB);
    this.#chunkBytes = Math.min(64 * 1024, Math.max(512, Math.floor(this.#maxBytes / 1024)));
  }

  saveChallenge(challenge: Challenge, ttlSeconds: number): Promise<void> {
    const writer = this.#writer.reset();
    writeChallenge(writer, challenge, this.#interned);
    // The id is the key: the body keeps the rest.
    this.#logOf(this.#challenges, ttlSeconds * 1000).append(challenge.id, writer.view(), this.#now());
    return Promise.resolve();
  }

  loadChallenges(ids: readonly string[]): Promise<(Challenge | null)[]> {
    const now = this.#now();
    return Promise.resolve(
      ids.map((id) => {
        for (const log of this.#challenges.values()) {
          const reader = log.find(id, now);
          if (reader) return readChallenge(reader, id, this.#interned);
        }
        return null;
      }),
    );
  }

  consumeLimits(request: LimitRequest): Promise<LimitDecision> {
    return settle(() => this.#consumeLimits(request, byKey(request), false));
  }

  #consumeLimits(request: LimitRequest, rules: readonly KeyRules[], swept: boolean): LimitDecision {
    const now = this.#now();
    let limit = "";
    let retryAfterMs = 0;
    // The refusal that lasts longest: only once it is over do all the limits allow a send.
    const refuse = (name: string, waitMs: number) => {
      if (limit === "" || waitMs > retryAfterMs) {
        limit = name;
        retryAfterMs = waitMs;
      }
    };
    const located: Located[] = [];
    for (const rule of rules) {
      const table = this.#tableOf(rule.ttlMs);
      hashKey(rule.key);
      const { a, b } = hashed;
      const slot = table.locate(a, b, now);
      const stored = table.timesAt(slot, now);
      let next: number | number[] = now;
      // During a rotation, the sends counted under the previous key count too (they are never written to).
      const before = rule.previousKey === undefined ? [] : this.#timesOf(rule.previousKey, now);
      if (stored !== undefined || before.length > 0) {
        const own =
          stored === undefined
            ? []
            : typeof stored === "number"
              ? [stored]
              : stored.filter((time) => time > now - rule.ttlMs);
        const live = before.length === 0 ? own : mergeSorted(own, before);
        const last = live[live.length - 1] ?? 0;
        if (rule.cooldownMs > 0 && last + rule.cooldownMs > now) {
          refuse("cooldown", last + rule.cooldownMs - now);
        }
        for (const cap of rule.caps) {
          // max 0: the rule only counts (for recentCounts), it never refuses.
          if (cap.max <= 0) continue;
          let inWindow = 0;
          for (const time of live) if (time > now - cap.windowMs) inWindow += 1;
          if (inWindow >= cap.max) {
            const oldest = live[live.length - cap.max] ?? now;
            refuse(cap.name, oldest + cap.windowMs - now);
          }
        }
        if (rule.keep > 1 && stored !== undefined) next = [...own.slice(-(rule.keep - 1)), now];
      }
      const held = typeof stored === "object" ? arrayBytes(stored.length) + POOL_SLOT_BYTES : 0;
      located.push({ table, a, b, slot, next, held });
    }
    if (limit !== "") return { allowed: false, limit, retryAfterMs };

    // Room: new entries in each table, and the arrays of keys holding several times.
    let arrays = 0;
    const added = new Map<CounterTable, number>();
    for (const { table, slot, next, held } of located) {
      if (slot < 0) added.set(table, (added.get(table) ?? 0) + 1);
      if (typeof next !== "number") arrays += arrayBytes(next.length) + POOL_SLOT_BYTES - held;
    }
    const growth = (factor: number) =>
      [...added].reduce((sum, [table, entries]) => sum + table.growthFor(entries, factor), arrays);
    const room = this.#admitBytes - this.#usedBytes();
    // A table grows by half, or by the least worth a rehash when that is all the room left.
    const factor = growth(GROWTH) <= room ? GROWTH : LAST_GROWTH;
    if (growth(factor) > Math.max(0, room)) {
      if (!swept && now - this.#sweptAt >= SWEEP_INTERVAL_MS) {
        this.#sweep(now);
        return this.#consumeLimits(request, rules, true);
      }
      throw this.#saturated(now);
    }
    for (const [table, entries] of added) {
      if (table.growthFor(entries, factor) === 0) continue;
      table.grow(entries, now, factor);
      // Its slots moved: find them again.
      for (const entry of located)
        if (entry.table === table) entry.slot = table.locate(entry.a, entry.b, now);
    }
    // Keys already held first, then the new ones, whose free slot is looked for again: a new key may take an
    // expired entry's slot on its way, so an expired key of this same send written after it would land on it.
    for (const { table, a, b, slot, next } of located) if (slot >= 0) table.write(slot, a, b, next);
    for (const { table, a, b, slot, next } of located) {
      if (slot < 0) table.write(table.locate(a, b, now), a, b, next);
    }
    for (const table of added.keys()) table.step(now);
    return { allowed: true, receipt: String(now) };
  }

  releaseLimits(request: LimitRequest, receipt: LimitReceipt): Promise<void> {
    return settle(() => {
      const at = Number(receipt);
      const now = this.#now();
      for (const rule of byKey(request)) {
        const table = this.#counters.get(rule.ttlMs);
        if (!table) continue;
        hashKey(rule.key);
        const { a, b } = hashed;
        const slot = table.locate(a, b, now);
        const stored = table.timesAt(slot, now);
        // One send's time, removed once: the cooldown it started goes with it (it is the entry's last time).
        if (stored === at) table.erase(slot);
        if (typeof stored !== "object") continue;
        const index = stored.lastIndexOf(at);
        if (index < 0) continue;
        const rest = stored.filter((_time, position) => position !== index);
        if (rest.length === 0) table.erase(slot);
        else table.write(slot, a, b, rest.length === 1 ? (rest[0] ?? at) : rest);
      }
    });
  }

  recentCounts(counters: readonly CounterRef[]): Promise<number[]> {
    return settle(() => {
      const now = this.#now();
      const inWindow = (times: readonly number[], windowMs: number) =>
        times.filter((time) => time > now - windowMs).length;
      return counters.map(({ key, previousKey, windowMs }) => {
        const before = previousKey === undefined ? 0 : inWindow(this.#timesOf(previousKey, now), windowMs);
        return inWindow(this.#timesOf(key, now), windowMs) + before;
      });
    });
  }

  /**
   * The send times held under `key` (oldest first, not to be changed), in whichever table holds it (a counter lives
   * in one of a few).
   */
  #timesOf(key: string, now: number): readonly number[] {
    hashKey(key);
    const { a, b } = hashed;
    for (const table of this.#counters.values()) {
      const stored = table.timesAt(table.locate(a, b, now), now);
      if (stored === undefined) continue;
      return typeof stored === "number" ? [stored] : stored;
    }
    return [];
  }

  claimIdempotency(
    key: string,
    fingerprint: string,
    token: string,
    leaseSeconds: number,
    previousKey?: string,
  ): Promise<IdempotencyRecord | null> {
    return settle(() => this.#claimIdempotency(key, fingerprint, token, leaseSeconds, previousKey));
  }

  #claimIdempotency(
    key: string,
    fingerprint: string,
    token: string,
    leaseSeconds: number,
    previousKey: string | undefined,
  ) {
    const now = this.#now();
    // The record under the key, else (during a rotation) the one under its previous form: read, never claimed.
    for (const held of previousKey === undefined ? [key] : [key, previousKey]) {
      const done = this.#findRecord(held, now);
      if (done) return done;
      const claim = this.#liveClaim(held, now);
      if (claim) return { fingerprint: claim.fingerprint, outcome: null };
    }
    const value = `${(now + leaseSeconds * 1000).toString(36)},${token},${fingerprint}`;
    const bytes = ENTRY_BYTES + stringBytes(key) + stringBytes(value);
    if (this.#usedBytes() + bytes > this.#admitBytes) {
      // A full walk of every table at most once a second, however many claims a flood brings.
      if (now - this.#sweptAt >= SWEEP_INTERVAL_MS) this.#sweep(now);
      if (this.#usedBytes() + bytes > this.#admitBytes) throw this.#saturated(now);
    }
    this.#claims.set(key, value);
    this.#claimBytes += bytes;
    return null;
  }

  completeIdempotency(key: string, token: string, outcome: string, ttlSeconds: number): Promise<void> {
    const now = this.#now();
    const claim = this.#liveClaim(key, now);
    if (claim?.token !== token) return Promise.resolve();
    this.#dropClaim(key);
    const writer = this.#writer.reset();
    writer.key(claim.fingerprint);
    // An OtpSent answer (most are) is kept as a packed challenge, when it reads back as the very same text.
    const challenge = unpackSentOutcome(outcome);
    if (challenge && packSentOutcome(challenge) === outcome) {
      writer.uint(1);
      writer.key(challenge.id);
      writeChallenge(writer, challenge, this.#interned);
    } else {
      writer.uint(0);
      writer.text(outcome);
    }
    // After a send: kept whatever the bound says (the headroom is for this), or a replay would send again.
    this.#logOf(this.#records, ttlSeconds * 1000).append(key, writer.view(), now);
    this.#watchers.end(key);
    return Promise.resolve();
  }

  releaseIdempotency(key: string, token: string): Promise<void> {
    if (this.#liveClaim(key, this.#now())?.token === token) {
      this.#dropClaim(key);
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
    let held = this.#claimBytes + this.#interned.bytes;
    for (const table of this.#counters.values()) held += table.heldBytes;
    for (const log of [...this.#challenges.values(), ...this.#records.values()]) held += log.heldBytes;
    return held;
  }

  /** How full the store is. */
  usage(): MemoryStoreUsage {
    const count = (group: Map<number, { size: number }>) =>
      [...group.values()].reduce((sum, item) => sum + item.size, 0);
    return {
      usedBytes: this.#usedBytes(),
      maxBytes: this.#maxBytes,
      challenges: count(this.#challenges),
      counters: count(this.#counters),
      idempotency: this.#claims.size + count(this.#records),
    };
  }

  ping(): Promise<boolean> {
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #usedBytes(): number {
    let used = this.#claimBytes + this.#interned.bytes;
    for (const table of this.#counters.values()) used += table.bytes;
    for (const log of this.#challenges.values()) used += log.bytes;
    for (const log of this.#records.values()) used += log.bytes;
    return used;
  }

  /** Refused for room, with the time until the oldest live state expires and frees some. */
  #saturated(now: number): StoreSaturatedError {
    let oldest = this.#oldestCounter;
    for (const log of [...this.#challenges.values(), ...this.#records.values()]) {
      oldest = Math.min(oldest, log.nextRelease);
    }
    return new StoreSaturatedError(
      "The memory store is full of live state.",
      Number.isFinite(oldest) && oldest > now ? oldest - now : SWEEP_INTERVAL_MS,
    );
  }

  /** Drop everything expired: walk every counter table (at most once a second), expire logs and claims. */
  #sweep(now: number): void {
    this.#sweptAt = now;
    this.#oldestCounter = Infinity;
    for (const [ttlMs, table] of this.#counters) {
      this.#oldestCounter = Math.min(this.#oldestCounter, table.sweep(now));
      if (table.size === 0) this.#counters.delete(ttlMs);
    }
    for (const log of [...this.#challenges.values(), ...this.#records.values()]) log.expire(now);
    for (const [key, value] of this.#claims) {
      if (parseClaim(value).expiresAt <= now) this.#dropClaim(key);
    }
  }

  #liveClaim(key: string, now: number): ReturnType<typeof parseClaim> | undefined {
    const value = this.#claims.get(key);
    if (value === undefined) return undefined;
    const claim = parseClaim(value);
    if (claim.expiresAt > now) return claim;
    this.#dropClaim(key);
    return undefined;
  }

  #dropClaim(key: string): void {
    const value = this.#claims.get(key);
    if (value === undefined) return;
    this.#claims.delete(key);
    this.#claimBytes -= ENTRY_BYTES + stringBytes(key) + stringBytes(value);
  }

  #findRecord(key: string, now: number): IdempotencyRecord | undefined {
    for (const log of this.#records.values()) {
      const reader = log.find(key, now);
      if (!reader) continue;
      const fingerprint = reader.key();
      if (reader.uint() === 0) return { fingerprint, outcome: reader.text() ?? "" };
      const id = reader.key();
      return { fingerprint, outcome: packSentOutcome(readChallenge(reader, id, this.#interned)) };
    }
    return undefined;
  }

  #tableOf(ttlMs: number): CounterTable {
    let table = this.#counters.get(ttlMs);
    if (!table) {
      table = new CounterTable(ttlMs);
      this.#counters.set(ttlMs, table);
    }
    return table;
  }

  #logOf(group: Map<number, RecordLog>, ttlMs: number): RecordLog {
    let log = group.get(ttlMs);
    if (!log) {
      log = new RecordLog(ttlMs, this.#chunkBytes);
      group.set(ttlMs, log);
    }
    return log;
  }
}

/** Two ascending lists of times as one. */
function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const merged: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    merged.push(
      j >= b.length || (i < a.length && (a[i] ?? 0) <= (b[j] ?? 0)) ? (a[i++] ?? 0) : (b[j++] ?? 0),
    );
  }
  return merged;
}

/** A synchronous step as a promise: a refusal it throws becomes a rejection, as from any other store. */
function settle<T>(step: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(step());
  });
}
