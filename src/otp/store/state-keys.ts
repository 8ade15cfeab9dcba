import { createHash, hash, randomBytes } from "node:crypto";

/**
 * Turns what the store is keyed on (a destination, a device id, an IP, an idempotency key, an input) into
 * opaque keys: HMAC-SHA-256 with a secret, so neither the store nor a copy of it holds them in clear, and a
 * fingerprint of an input with a password cannot be brute-forced without the secret. Replicas that share a
 * store must share the secret (`OTP_STATE_SECRET`).
 *
 * While the secret is rotated, the previous one (`OTP_STATE_SECRET_PREVIOUS`) gives each key's previous form too:
 * the store reads state under both and writes under the current one, so nothing counted before the rotation is
 * forgotten.
 */
export class StateKeys {
  readonly #secret: HmacKey;
  readonly #previous: HmacKey | null;

  constructor(secret: string | Buffer, previous: string | Buffer | null = null) {
    this.#secret = hmacKey(asBuffer(secret));
    this.#previous = previous === null ? null : hmacKey(asBuffer(previous));
  }

  /** A process-local secret: fine for the memory store, which no other process reads. */
  static random(): StateKeys {
    return new StateKeys(randomBytes(32));
  }

  /** 128 bits of HMAC-SHA-256 over `purpose` and `value`, base64url (22 characters). */
  key(purpose: string, value: string): string {
    return hmac(this.#secret, purpose, value);
  }

  /** The same key under the previous secret, while one is set (a rotation); else undefined. */
  previousKey(purpose: string, value: string): string | undefined {
    return this.#previous === null ? undefined : hmac(this.#previous, purpose, value);
  }
}

function asBuffer(secret: string | Buffer): Buffer {
  return typeof secret === "string" ? Buffer.from(secret, "utf8") : secret;
}

/** HMAC-SHA-256's two padded keys (RFC 2104), worked out once per secret. */
interface HmacKey {
  inner: Buffer;
  outer: Buffer;
}

const BLOCK_BYTES = 64;

function hmacKey(secret: Buffer): HmacKey {
  const key = secret.length > BLOCK_BYTES ? createHash("sha256").update(secret).digest() : secret;
  const inner = Buffer.alloc(BLOCK_BYTES, 0x36);
  const outer = Buffer.alloc(BLOCK_BYTES, 0x5c);
  key.forEach((byte, index) => {
    inner[index] = (inner[index] ?? 0) ^ byte;
    outer[index] = (outer[index] ?? 0) ^ byte;
  });
  return { inner, outer };
}

/**
 * HMAC-SHA-256 of `purpose`, a zero byte and `value`, as RFC 2104 defines it: the hash of the outer padded key and
 * the hash of the inner padded key and the message. The same bytes as `createHmac("sha256", secret)` (a test
 * holds them equal), from two one-shot `crypto.hash` calls: `createHmac` sets up a keyed OpenSSL context each time,
 * which was 15% of a refused request (12 µs a key in the server's profile).
 */
function hmac(key: HmacKey, purpose: string, value: string): string {
  const message = Buffer.from(`${purpose}\0${value}`, "utf8");
  const inner = hash("sha256", Buffer.concat([key.inner, message]), "buffer");
  return hash("sha256", Buffer.concat([key.outer, inner]), "buffer")
    .subarray(0, 16)
    .toString("base64url");
}
