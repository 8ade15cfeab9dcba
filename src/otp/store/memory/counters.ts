/**
 * The memory store's limit counters: one {@link CounterTable} per lifetime (a key's longest window or cooldown),
 * judged by the rules of `../limit-rules.ts`. Counting a send is all or nothing: every key is located and judged
 * first, the room its new entries and arrays need is worked out, and only then is anything written.
 */
import {
  judgeKey,
  keptAfter,
  mergeSorted,
  countWithin,
  type KeyRules,
  type Refusal,
} from "../limit-rules.js";
import type { CounterRef, LimitDecision, LimitRequest } from "../store.js";
import { sumOf } from "./bytes.js";
import { arrayBytes, CounterTable, GROWTH, hashed, hashKey, LAST_GROWTH } from "./counter-table.js";

/** A table's pool keeps each array of times in a slot of its own. */
const POOL_SLOT_BYTES = 8;

/** A key of a send as found: where it is, and what it will hold. */
interface Located {
  table: CounterTable;
  a: number;
  b: number;
  slot: number;
  next: number | number[];
  /** The bytes of the pool array it holds now (0 for one time alone), which `next` replaces. */
  held: number;
}

/** The answer of {@link Counters.consume} when counting the send would need more than the room it was given. */
export const NO_ROOM = Symbol("no room");

export class Counters {
  /** The tables, by lifetime in milliseconds. */
  readonly #tables = new Map<number, CounterTable>();

  /**
   * Judge a send (its `request`, grouped by key as `rules`) at `now` and, when every rule allows it and its new
   * entries fit in the bytes `room()` leaves, count it. Writes nothing when refused or out of room.
   */
  consume(
    request: LimitRequest,
    rules: readonly KeyRules[],
    now: number,
    room: () => number,
  ): LimitDecision | typeof NO_ROOM {
    let refusal: Refusal | null = null;
    const located: Located[] = [];
    for (const rule of rules) {
      const table = this.#tableOf(rule.ttlMs);
      hashKey(rule.key);
      const { a, b } = hashed;
      const slot = table.locate(a, b, now);
      const stored = table.timesAt(slot, now);
      let next: number | number[] = now;
      // During a rotation, the sends counted under the previous key count too (they are never written to).
      const before = rule.previousKey === undefined ? [] : this.timesOf(rule.previousKey, now);
      if (stored !== undefined || before.length > 0) {
        const own =
          stored === undefined
            ? undefined
            : typeof stored === "number"
              ? [stored]
              : stored.filter((time) => time > now - rule.ttlMs);
        const live = before.length === 0 ? (own ?? []) : mergeSorted(own ?? [], before);
        refusal = judgeKey(rule, live, now, refusal, request.caps);
        next = keptAfter(rule, own, now);
      }
      const held = typeof stored === "object" ? arrayBytes(stored.length) + POOL_SLOT_BYTES : 0;
      located.push({ table, a, b, slot, next, held });
    }
    if (refusal !== null) return refusal;

    // Room: new entries in each table, and the arrays of keys holding several times.
    const left = room();
    let arrays = 0;
    const added = new Map<CounterTable, number>();
    for (const { table, slot, next, held } of located) {
      if (slot < 0) added.set(table, (added.get(table) ?? 0) + 1);
      if (typeof next !== "number") arrays += arrayBytes(next.length) + POOL_SLOT_BYTES - held;
    }
    const growth = (factor: number) =>
      [...added].reduce((sum, [table, entries]) => sum + table.growthFor(entries, factor), arrays);
    // A table grows by half, or by the least worth a rehash when that is all the room left.
    const factor = growth(GROWTH) <= left ? GROWTH : LAST_GROWTH;
    if (growth(factor) > Math.max(0, left)) return NO_ROOM;
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

  /** Remove one send's time `at` from each key of `rules` (its cooldown goes with it: it is the key's last time). */
  release(rules: readonly KeyRules[], at: number, now: number): void {
    for (const rule of rules) {
      const table = this.#tables.get(rule.ttlMs);
      if (!table) continue;
      hashKey(rule.key);
      const { a, b } = hashed;
      const slot = table.locate(a, b, now);
      const stored = table.timesAt(slot, now);
      if (stored === at) table.erase(slot);
      if (typeof stored !== "object") continue;
      const index = stored.lastIndexOf(at);
      if (index < 0) continue;
      const rest = stored.filter((_time, position) => position !== index);
      if (rest.length === 0) table.erase(slot);
      else table.write(slot, a, b, rest.length === 1 ? (rest[0] ?? at) : rest);
    }
  }

  /** How many sends each counter (and its previous form) holds within its window. */
  count(counters: readonly CounterRef[], now: number): number[] {
    return counters.map(({ key, previousKey, windowMs }) => {
      const before =
        previousKey === undefined ? 0 : countWithin(this.timesOf(previousKey, now), windowMs, now);
      return countWithin(this.timesOf(key, now), windowMs, now) + before;
    });
  }

  /**
   * The send times held under `key` (oldest first, not to be changed), in whichever table holds it (a counter
   * lives in one of a few).
   */
  timesOf(key: string, now: number): readonly number[] {
    hashKey(key);
    const { a, b } = hashed;
    for (const table of this.#tables.values()) {
      const stored = table.timesAt(table.locate(a, b, now), now);
      if (stored === undefined) continue;
      return typeof stored === "number" ? [stored] : stored;
    }
    return [];
  }

  /** Drop every expired entry (and tables left empty); answers when the oldest live entry expires. */
  sweep(now: number): number {
    let oldest = Infinity;
    for (const [ttlMs, table] of this.#tables) {
      oldest = Math.min(oldest, table.sweep(now));
      if (table.size === 0) this.#tables.delete(ttlMs);
    }
    return oldest;
  }

  get size(): number {
    return sumOf(this.#tables.values(), (table) => table.size);
  }

  get bytes(): number {
    return sumOf(this.#tables.values(), (table) => table.bytes);
  }

  get heldBytes(): number {
    return sumOf(this.#tables.values(), (table) => table.heldBytes);
  }

  #tableOf(ttlMs: number): CounterTable {
    let table = this.#tables.get(ttlMs);
    if (!table) {
      table = new CounterTable(ttlMs);
      this.#tables.set(ttlMs, table);
    }
    return table;
  }
}
