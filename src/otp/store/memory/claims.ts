/**
 * Pending idempotency claims, in a plain map (they are few: each lives for one request's lease), each as one
 * string `<expires at, base 36>,<token>,<fingerprint>` (tokens and fingerprints hold no comma), its heap counted.
 */

/**
 * What a claim's entry costs on the V8 heap (64-bit, no pointer compression, as Node ships), counted from above:
 * its share of the Map's table (3 slots and half a bucket, up to twice that just after the table grew).
 */
const ENTRY_BYTES = 56;

/** A live pending claim. */
export interface Claim {
  expiresAt: number;
  token: string;
  fingerprint: string;
}

export class Claims {
  readonly #claims = new Map<string, string>();
  /** The heap the claims take. */
  bytes = 0;

  get size(): number {
    return this.#claims.size;
  }

  /** The live claim under `key` (an expired one is dropped on the way), or undefined. */
  live(key: string, now: number): Claim | undefined {
    const value = this.#claims.get(key);
    if (value === undefined) return undefined;
    const claim = parseClaim(value);
    if (claim.expiresAt > now) return claim;
    this.drop(key);
    return undefined;
  }

  /** The bytes a claim kept as `value` under `key` takes: to check the room before {@link add}. */
  cost(key: string, value: string): number {
    return ENTRY_BYTES + stringBytes(key) + stringBytes(value);
  }

  add(key: string, value: string, bytes: number): void {
    this.#claims.set(key, value);
    this.bytes += bytes;
  }

  drop(key: string): void {
    const value = this.#claims.get(key);
    if (value === undefined) return;
    this.#claims.delete(key);
    this.bytes -= this.cost(key, value);
  }

  expire(now: number): void {
    for (const [key, value] of this.#claims) {
      if (parseClaim(value).expiresAt <= now) this.drop(key);
    }
  }
}

/** How a claim is kept. */
export function claimValue(expiresAt: number, token: string, fingerprint: string): string {
  return `${expiresAt.toString(36)},${token},${fingerprint}`;
}

function parseClaim(value: string): Claim {
  const first = value.indexOf(",");
  const second = value.indexOf(",", first + 1);
  return {
    expiresAt: parseInt(value.slice(0, first), 36),
    token: value.slice(first + 1, second),
    fingerprint: value.slice(second + 1),
  };
}

/** A string's bytes: a 16-byte header, one byte a character (two when any is past Latin-1), 8-byte aligned. */
function stringBytes(text: string): number {
  const width = NOT_LATIN1.test(text) ? 2 : 1;
  return (16 + text.length * width + 7) & ~7;
}
const NOT_LATIN1 = /[\u0100-\u{10ffff}]/u;
