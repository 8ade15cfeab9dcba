import { ByteReader, ByteWriter } from "./bytes.js";
import {
  distance,
  GROWTH,
  hashed,
  hashKey,
  MAX_LOAD,
  MIN_GROWN_LOAD,
  MIN_LOAD,
  MIN_SLOTS,
} from "./counter-table.js";

/** A run of records in one buffer; it goes as a whole once its last record has expired. */
interface Chunk {
  /** The position of its first byte in the log (positions only grow). */
  base: number;
  bytes: Buffer;
  used: number;
  lastExpiry: number;
}

/**
 * Records that each live `ttlMs` after their writing (challenges, idempotency answers), appended as bytes to
 * buffers of `chunkBytes`, outside the JS heap, and found by key through an open-addressing index (linear probing,
 * backward-shift deletion) of 32-bit key hashes and positions: 12 bytes a slot. A record is
 * `[u32 length][f64 written at][key][body]`; a key is compared in full, so two keys whose hashes collide
 * never see each other's record. Writing a key again leaves its old record to expire with its chunk.
 * Records are written in time order, so the oldest chunk is the first to go: expiry costs nothing per lookup.
 */
export class RecordLog {
  readonly #chunks: (Chunk | undefined)[] = [];
  /** The first chunk still kept. */
  #first = 0;
  /** The log's next position. */
  #end = 0;
  #chunkBytesTotal = 0;
  /** The bytes of the records in the chunks kept. */
  #recordBytes = 0;
  #hashes: Int32Array;
  /** Per slot: 0 when empty, else the record's position plus one. */
  #positions: Float64Array;
  #slots: number;
  #size = 0;
  readonly #header = new ByteWriter();

  constructor(
    readonly ttlMs: number,
    readonly chunkBytes: number,
  ) {
    this.#hashes = new Int32Array(MIN_SLOTS);
    this.#positions = new Float64Array(MIN_SLOTS);
    this.#slots = MIN_SLOTS;
  }

  /** Records the index holds (live ones and expired ones whose chunk is still kept). */
  get size(): number {
    return this.#size;
  }

  /** The buffers and heap the log takes: its chunks and its index, counted from above. */
  get bytes(): number {
    const chunks = this.#chunks.length - this.#first;
    return LOG_BYTES + this.#slots * SLOT_BYTES + this.#chunkBytesTotal + chunks * CHUNK_BYTES;
  }

  /**
   * What the records take at worst: their bytes with their chunks' overhead, and their slots in an index just grown
   * (half full, as a counter table). A capacity is computed from this.
   */
  get heldBytes(): number {
    const index = Math.ceil((this.#size * SLOT_BYTES) / MIN_GROWN_LOAD);
    return index + Math.ceil(this.#recordBytes * (1 + CHUNK_BYTES / this.chunkBytes));
  }

  /** When the oldest chunk goes (its last record expires), freeing room; Infinity with none. */
  get nextRelease(): number {
    return this.#chunks[this.#first]?.lastExpiry ?? Infinity;
  }

  /** A reader at the body of the live record under `key`, or undefined. */
  find(key: string, now: number): ByteReader | undefined {
    this.expire(now);
    const slot = this.#slotOf(key);
    if (slot < 0) return undefined;
    const reader = this.#readerAt((this.#positions[slot] ?? 0) - 1);
    const writtenAt = reader.float();
    if (writtenAt + this.ttlMs <= now) return undefined;
    reader.key();
    return reader;
  }

  /** Keep `body` under `key` from `now`. */
  append(key: string, body: Uint8Array, now: number): void {
    this.expire(now);
    const header = this.#header.reset();
    header.float(now);
    header.key(key);
    const length = 4 + header.length + body.length;
    let chunk = this.#chunks[this.#chunks.length - 1];
    if (!chunk || chunk.used + length > chunk.bytes.length) {
      const size = Math.max(this.chunkBytes, length);
      chunk = { base: this.#end, bytes: Buffer.allocUnsafeSlow(size), used: 0, lastExpiry: 0 };
      this.#end += size;
      this.#chunkBytesTotal += size;
      this.#chunks.push(chunk);
    }
    const position = chunk.base + chunk.used;
    chunk.bytes.writeUInt32LE(length, chunk.used);
    chunk.bytes.set(header.view(), chunk.used + 4);
    chunk.bytes.set(body, chunk.used + 4 + header.length);
    chunk.used += length;
    this.#recordBytes += length;
    chunk.lastExpiry = Math.max(chunk.lastExpiry, now + this.ttlMs);

    const found = this.#slotOf(key);
    if (found >= 0) {
      this.#positions[found] = position + 1;
      return;
    }
    if (this.#size + 1 > this.#slots * MAX_LOAD) this.#rehash(Math.ceil(this.#slots * GROWTH));
    hashKey(key);
    let slot = (hashed.a >>> 0) % this.#slots;
    while ((this.#positions[slot] ?? 0) !== 0) slot = slot + 1 === this.#slots ? 0 : slot + 1;
    this.#hashes[slot] = hashed.a;
    this.#positions[slot] = position + 1;
    this.#size += 1;
  }

  /** Drop the chunks whose records have all expired, and their records from the index. */
  expire(now: number): void {
    for (let chunk = this.#chunks[this.#first]; chunk && chunk.lastExpiry <= now;) {
      for (let offset = 0; offset < chunk.used;) {
        const reader = new ByteReader(chunk.bytes, offset + 4);
        reader.float();
        this.#forget(reader.key(), chunk.base + offset);
        offset += chunk.bytes.readUInt32LE(offset);
      }
      this.#chunkBytesTotal -= chunk.bytes.length;
      this.#recordBytes -= chunk.used;
      this.#chunks[this.#first] = undefined;
      this.#first += 1;
      chunk = this.#chunks[this.#first];
    }
    if (this.#first > 64 && this.#first * 2 > this.#chunks.length) {
      this.#chunks.splice(0, this.#first);
      this.#first = 0;
    }
    if (this.#slots > MIN_SLOTS && this.#size < this.#slots * MIN_LOAD) {
      this.#rehash(Math.max(MIN_SLOTS, Math.ceil(this.#size / MIN_GROWN_LOAD)));
    }
  }

  /** The index slot of `key`'s latest record, or -1. */
  #slotOf(key: string): number {
    hashKey(key);
    const hash = hashed.a;
    const slots = this.#slots;
    for (let slot = (hash >>> 0) % slots; ; slot = slot + 1 === slots ? 0 : slot + 1) {
      const position = this.#positions[slot] ?? 0;
      if (position === 0) return -1;
      if (this.#hashes[slot] !== hash) continue;
      const reader = this.#readerAt(position - 1);
      reader.float();
      if (reader.key() === key) return slot;
    }
  }

  /** Remove `key` from the index if it points at the record at `position` (not at a later one). */
  #forget(key: string, position: number): void {
    const slot = this.#slotOf(key);
    if (slot < 0 || this.#positions[slot] !== position + 1) return;
    const hashes = this.#hashes;
    const positions = this.#positions;
    const slots = this.#slots;
    let hole = slot;
    for (let next = hole; ;) {
      next = next + 1 === slots ? 0 : next + 1;
      const at = positions[next] ?? 0;
      if (at === 0) break;
      const home = ((hashes[next] ?? 0) >>> 0) % slots;
      if (distance(home, next, slots) < distance(hole, next, slots)) continue;
      hashes[hole] = hashes[next] ?? 0;
      positions[hole] = at;
      hole = next;
    }
    positions[hole] = 0;
    this.#size -= 1;
  }

  #readerAt(position: number): ByteReader {
    // The chunks are in position order: find the last one starting at or before `position`.
    let low = this.#first;
    let high = this.#chunks.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.#chunks[middle]?.base ?? 0) <= position) low = middle;
      else high = middle - 1;
    }
    const chunk = this.#chunks[low] as Chunk;
    return new ByteReader(chunk.bytes, position - chunk.base + 4);
  }

  #rehash(slots: number): void {
    const hashes = this.#hashes;
    const positions = this.#positions;
    this.#hashes = new Int32Array(slots);
    this.#positions = new Float64Array(slots);
    this.#slots = slots;
    for (let slot = 0; slot < positions.length; slot++) {
      const position = positions[slot] ?? 0;
      if (position === 0) continue;
      const hash = hashes[slot] ?? 0;
      let at = (hash >>> 0) % slots;
      while ((this.#positions[at] ?? 0) !== 0) at = at + 1 === slots ? 0 : at + 1;
      this.#hashes[at] = hash;
      this.#positions[at] = position;
    }
  }
}

/** A 32-bit hash and a 64-bit position. */
const SLOT_BYTES = 12;
/** Each chunk's objects on the heap (its record, its Buffer and ArrayBuffer), from above: about 800 measured. */
const CHUNK_BYTES = 1024;
/** The log's objects and its index's typed arrays' headers. */
const LOG_BYTES = 512;
