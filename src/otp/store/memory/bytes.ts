/**
 * A growable byte writer and a reader for the memory store's packed records: unsigned and zig-zag varints (any
 * safe integer), 64-bit floats and length-prefixed UTF-8 strings, with `null` as a varint of 0.
 */
export class ByteWriter {
  #bytes = Buffer.allocUnsafe(256);
  length = 0;

  reset(): this {
    this.length = 0;
    return this;
  }

  /** What was written (a view on the writer's buffer, valid until its next write). */
  view(): Buffer {
    return this.#bytes.subarray(0, this.length);
  }

  uint(value: number): void {
    this.#room(10);
    let rest = value;
    while (rest >= 0x80) {
      this.#bytes[this.length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.#bytes[this.length++] = rest;
  }

  /** A safe integer of either sign (zig-zag). */
  int(value: number): void {
    this.uint(value < 0 ? -2 * value - 1 : 2 * value);
  }

  float(value: number): void {
    this.#room(8);
    this.length = this.#bytes.writeDoubleLE(value, this.length);
  }

  bytes(value: Uint8Array): void {
    this.#room(value.length);
    this.#bytes.set(value, this.length);
    this.length += value.length;
  }

  /** A string or null: its UTF-8 length plus one (0 for null), then its bytes. */
  text(value: string | null): void {
    if (value === null) {
      this.uint(0);
      return;
    }
    const size = Buffer.byteLength(value, "utf8");
    this.uint(size + 1);
    this.#room(size);
    this.length += this.#bytes.write(value, this.length, "utf8");
  }

  /**
   * A key (an id, an HMAC): as the bytes it encodes when it is canonical base64url (16 bytes for an HMAC's 22
   * characters), else as text; the varint before it says which (odd: bytes) and how long.
   */
  key(value: string): void {
    if (BASE64URL.test(value)) {
      const decoded = Buffer.from(value, "base64url");
      if (decoded.toString("base64url") === value) {
        this.uint(2 * decoded.length + 1);
        this.bytes(decoded);
        return;
      }
    }
    const size = Buffer.byteLength(value, "utf8");
    this.uint(2 * size + 2);
    this.#room(size);
    this.length += this.#bytes.write(value, this.length, "utf8");
  }

  #room(size: number): void {
    if (this.length + size <= this.#bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#bytes.length * 2, this.length + size));
    this.#bytes.copy(grown, 0, 0, this.length);
    this.#bytes = grown;
  }
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

export class ByteReader {
  constructor(
    readonly bytes: Buffer,
    public at: number,
  ) {}

  uint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.bytes[this.at++] ?? 0;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  }

  int(): number {
    const zigzag = this.uint();
    return zigzag % 2 === 1 ? -(zigzag + 1) / 2 : zigzag / 2;
  }

  float(): number {
    const value = this.bytes.readDoubleLE(this.at);
    this.at += 8;
    return value;
  }

  key(): string {
    const head = this.uint();
    const start = this.at;
    if (head % 2 === 1) {
      this.at += (head - 1) / 2;
      return this.bytes.toString("base64url", start, this.at);
    }
    this.at += head / 2 - 1;
    return this.bytes.toString("utf8", start, this.at);
  }

  text(): string | null {
    const size = this.uint();
    if (size === 0) return null;
    const start = this.at;
    this.at += size - 1;
    return this.bytes.toString("utf8", start, this.at);
  }
}

/** The sum of `measure` over `parts` (a store's tables or logs: their entries, bytes, held bytes). */
export function sumOf<T>(parts: Iterable<T>, measure: (part: T) => number): number {
  let sum = 0;
  for (const part of parts) sum += measure(part);
  return sum;
}
