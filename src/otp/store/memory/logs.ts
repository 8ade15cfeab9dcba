/**
 * Records of one kind (challenges, or done idempotency answers) in one {@link RecordLog} per lifetime: a log
 * drops its records oldest first, which only works when they all live as long.
 */
import { sumOf, type ByteReader } from "./bytes.js";
import { RecordLog } from "./record-log.js";

export class Logs {
  /** The logs, by lifetime in milliseconds. */
  readonly #logs = new Map<number, RecordLog>();

  constructor(readonly chunkBytes: number) {}

  /** Keep `body` under `key` for `ttlMs` from `now`. */
  append(key: string, body: Uint8Array, ttlMs: number, now: number): void {
    let log = this.#logs.get(ttlMs);
    if (!log) {
      log = new RecordLog(ttlMs, this.chunkBytes);
      this.#logs.set(ttlMs, log);
    }
    log.append(key, body, now);
  }

  /** A reader at the body of the live record under `key`, in whichever log holds it, or undefined. */
  find(key: string, now: number): ByteReader | undefined {
    for (const log of this.#logs.values()) {
      const reader = log.find(key, now);
      if (reader) return reader;
    }
    return undefined;
  }

  expire(now: number): void {
    for (const log of this.#logs.values()) log.expire(now);
  }

  /** When the oldest chunk of any log goes, freeing room; Infinity with none. */
  get nextRelease(): number {
    let next = Infinity;
    for (const log of this.#logs.values()) next = Math.min(next, log.nextRelease);
    return next;
  }

  get size(): number {
    return sumOf(this.#logs.values(), (log) => log.size);
  }

  get bytes(): number {
    return sumOf(this.#logs.values(), (log) => log.bytes);
  }

  get heldBytes(): number {
    return sumOf(this.#logs.values(), (log) => log.heldBytes);
  }
}
