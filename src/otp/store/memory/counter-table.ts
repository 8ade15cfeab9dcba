/**
 * Send times under limit keys that all live `ttlMs` after their latest send: an open-addressing hash table on
 * typed arrays (linear probing, backward-shift deletion, so no tombstones), 16 bytes a slot: 64 bits of the key's
 * hash and the latest send time. It grows by half when it would be more than 3/4 full (by an eighth when the
 * store has no room for more), so once grown it is at least half full; it shrinks when under a quarter full. A key holding more than one live time (a cap above 1 that was used more than once)
 * keeps them in an array of a side pool, its slot holding the pool index (negated) instead of a time.
 *
 * Keys are reduced to 64 bits: two keys whose hashes collide share one entry, so their sends count against both.
 * That only ever refuses more (fails closed), and with keys that are HMACs it takes about 2^32 live keys to see one.
 */
export class CounterTable {
  /** Per slot, two 32-bit words of the key's hash (the first also picks the slot). */
  #hashes: Int32Array;
  /** Per slot: 0 when empty, the latest send time, or -(1 + pool index) for a key with several live times. */
  #times: Float64Array;
  #slots: number;
  #size = 0;
  readonly #pool: (number[] | undefined)[] = [];
  readonly #freePool: number[] = [];
  #poolBytes = 0;
  /** Where the incremental sweep goes on. */
  #cursor = 0;

  constructor(
    readonly ttlMs: number,
    slots = MIN_SLOTS,
  ) {
    this.#hashes = new Int32Array(2 * slots);
    this.#times = new Float64Array(slots);
    this.#slots = slots;
  }

  get size(): number {
    return this.#size;
  }

  /** The heap and buffers the table takes: its slots, and the pool's arrays counted from above. */
  get bytes(): number {
    const poolSlots = 8 * (this.#pool.length + this.#freePool.length);
    return TABLE_BYTES + this.#slots * SLOT_BYTES + poolSlots + this.#poolBytes;
  }

  /**
   * What the entries take at worst: their slots in a table just grown (half full), and their pool arrays: what
   * a capacity is computed from.
   */
  get heldBytes(): number {
    const poolSlots = 8 * (this.#pool.length + this.#freePool.length);
    return Math.ceil((this.#size * SLOT_BYTES) / MIN_GROWN_LOAD) + poolSlots + this.#poolBytes;
  }

  /** The bytes `entries` more entries would add to {@link bytes}, growing by `factor` as often as needed. */
  growthFor(entries: number, factor = GROWTH): number {
    return (this.#grownSlots(entries, factor) - this.#slots) * SLOT_BYTES;
  }

  /** The slot of the key hashed to `a`, `b` ({@link hashKey}), or -1 - the slot a new entry would take. */
  locate(a: number, b: number, now: number): number {
    const hashes = this.#hashes;
    const times = this.#times;
    const slots = this.#slots;
    let free = -1;
    for (let slot = (a >>> 0) % slots; ; slot = slot + 1 === slots ? 0 : slot + 1) {
      const time = times[slot] ?? 0;
      if (time === 0) return -1 - (free === -1 ? slot : free);
      if (hashes[2 * slot] === a && hashes[2 * slot + 1] === b) return slot;
      // An expired entry on the way may be reused by a new key (every slot before it is taken, as probing needs).
      if (free === -1 && this.#latest(time) + this.ttlMs <= now) free = slot;
    }
  }

  /** The live send times at a slot from {@link locate} (none for a new or expired entry), oldest first. */
  timesAt(slot: number, now: number): number | readonly number[] | undefined {
    if (slot < 0) return undefined;
    const time = this.#times[slot] ?? 0;
    if (this.#latest(time) + this.ttlMs <= now) return undefined;
    return time > 0 ? time : this.#pool[-1 - time];
  }

  /** Write the times of a slot from {@link locate}; a new entry must fit ({@link growthFor}, {@link grow}). */
  write(slot: number, a: number, b: number, times: number | number[]): void {
    let at = slot;
    if (at < 0) {
      at = -1 - at;
      if ((this.#times[at] ?? 0) === 0) this.#size += 1;
      this.#hashes[2 * at] = a;
      this.#hashes[2 * at + 1] = b;
    }
    this.#release(at);
    if (typeof times === "number") {
      this.#times[at] = times;
      return;
    }
    const index = this.#freePool.pop() ?? this.#pool.length;
    this.#pool[index] = times;
    this.#poolBytes += arrayBytes(times.length);
    this.#times[at] = -1 - index;
  }

  /** Empty a slot from {@link locate} (a send given back was its only time). */
  erase(slot: number): void {
    if (slot >= 0 && (this.#times[slot] ?? 0) !== 0) this.#delete(slot);
  }

  /** Make room for `entries` more ({@link growthFor}), dropping the expired entries on the way. Slots move. */
  grow(entries: number, now: number, factor = GROWTH): void {
    this.#rehash(this.#grownSlots(entries, factor), now);
  }

  #grownSlots(entries: number, factor: number): number {
    let slots = this.#slots;
    while (this.#size + entries > slots * MAX_LOAD) slots = Math.ceil(slots * factor);
    return slots;
  }

  /** Look at the next few slots and drop the expired entries among them: the sweep, spread over writes. */
  step(now: number): void {
    for (let seen = 0; seen < STEP_SLOTS; seen++) {
      const slot = this.#cursor;
      const time = this.#times[slot] ?? 0;
      if (time !== 0 && this.#latest(time) + this.ttlMs <= now) this.#delete(slot);
      else this.#cursor = slot + 1 === this.#slots ? 0 : slot + 1;
    }
  }

  /**
   * Drop every expired entry, shrink the table when it is mostly empty; answers when the oldest live entry
   * expires (Infinity when none is left).
   */
  sweep(now: number): number {
    let oldest = Infinity;
    const times = this.#times;
    let slot = 0;
    while (slot < this.#slots) {
      const time = times[slot] ?? 0;
      if (time === 0) {
        slot += 1;
        continue;
      }
      const expiresAt = this.#latest(time) + this.ttlMs;
      if (expiresAt <= now) {
        // The next entries may move back into this slot: look at it again.
        this.#delete(slot);
        continue;
      }
      oldest = Math.min(oldest, expiresAt);
      slot += 1;
    }
    if (this.#slots > MIN_SLOTS && this.#size < this.#slots * MIN_LOAD) {
      this.#rehash(Math.max(MIN_SLOTS, Math.ceil(this.#size / MIN_GROWN_LOAD)), now);
    }
    return oldest;
  }

  /** The latest time of a slot's value (the last of its pool array). */
  #latest(time: number): number {
    if (time >= 0) return time;
    const times = this.#pool[-1 - time];
    return times?.[times.length - 1] ?? 0;
  }

  /** Give a slot's pool array back, if it has one. */
  #release(slot: number): void {
    this.#releaseTime(this.#times[slot] ?? 0);
  }

  #releaseTime(time: number): void {
    if (time >= 0) return;
    const index = -1 - time;
    this.#poolBytes -= arrayBytes(this.#pool[index]?.length ?? 0);
    this.#pool[index] = undefined;
    this.#freePool.push(index);
  }

  /** Empty a slot, moving back the entries after it that probing would otherwise no longer reach. */
  #delete(slot: number): void {
    this.#release(slot);
    const hashes = this.#hashes;
    const times = this.#times;
    const slots = this.#slots;
    let hole = slot;
    for (let next = hole; ;) {
      next = next + 1 === slots ? 0 : next + 1;
      const time = times[next] ?? 0;
      if (time === 0) break;
      const home = ((hashes[2 * next] ?? 0) >>> 0) % slots;
      // The entry at `next` may fill the hole unless its home lies after the hole (cyclically, up to `next`).
      if (distance(home, next, slots) < distance(hole, next, slots)) continue;
      hashes[2 * hole] = hashes[2 * next] ?? 0;
      hashes[2 * hole + 1] = hashes[2 * next + 1] ?? 0;
      times[hole] = time;
      hole = next;
    }
    times[hole] = 0;
    this.#size -= 1;
  }

  #rehash(slots: number, now: number): void {
    const hashes = this.#hashes;
    const times = this.#times;
    this.#hashes = new Int32Array(2 * slots);
    this.#times = new Float64Array(slots);
    this.#slots = slots;
    this.#size = 0;
    this.#cursor = 0;
    for (let slot = 0; slot < times.length; slot++) {
      const time = times[slot] ?? 0;
      if (time === 0) continue;
      if (this.#latest(time) + this.ttlMs <= now) {
        this.#releaseTime(time);
        continue;
      }
      const a = hashes[2 * slot] ?? 0;
      let at = (a >>> 0) % slots;
      while ((this.#times[at] ?? 0) !== 0) at = at + 1 === slots ? 0 : at + 1;
      this.#hashes[2 * at] = a;
      this.#hashes[2 * at + 1] = hashes[2 * slot + 1] ?? 0;
      this.#times[at] = time;
      this.#size += 1;
    }
  }
}

/** The two 32-bit words of a key's 64-bit hash, written to {@link hashed} (no allocation on the hot path). */
export function hashKey(key: string): void {
  let a = 0x811c9dc5;
  let b = 0x3c6ef372;
  for (let index = 0; index < key.length; index++) {
    const code = key.charCodeAt(index);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
    b ^= b >>> 13;
  }
  hashed.a = mix(a);
  hashed.b = mix(b ^ key.length);
}

export const hashed = { a: 0, b: 0 };

/** Murmur3's finaliser: every bit of the input moves every bit of the output. */
function mix(value: number): number {
  let h = value ^ (value >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** A JS array of numbers on the heap (64-bit V8): header, elements' header, 8 bytes an element. */
export function arrayBytes(length: number): number {
  return 32 + 16 + 8 * length;
}

/** How far `to` is after `from` in a table of `slots`, wrapping around. */
export function distance(from: number, to: number, slots: number): number {
  return to >= from ? to - from : to + slots - from;
}

/** Two 32-bit words of the key's hash and a 64-bit time. */
const SLOT_BYTES = 16;
/** Tables and indexes grow by half when they would be more than 3/4 full: then they are at least half full. */
export const MAX_LOAD = 0.75;
export const GROWTH = 1.5;
/** When the store has no room for a growth by half: the least one worth a rehash. */
export const LAST_GROWTH = 1.125;
export const MIN_GROWN_LOAD = MAX_LOAD / GROWTH;
/** Below this they shrink (to half full). */
export const MIN_LOAD = 0.25;
export const MIN_SLOTS = 16;
const STEP_SLOTS = 4;
/** The table's objects and its typed arrays' headers and buffers' bookkeeping, counted from above. */
const TABLE_BYTES = 512;
