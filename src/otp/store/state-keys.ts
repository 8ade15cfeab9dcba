import { createHmac, randomBytes } from "node:crypto";

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
  readonly #secret: Buffer;
  readonly #previous: Buffer | null;

  constructor(secret: string | Buffer, previous: string | Buffer | null = null) {
    this.#secret = asBuffer(secret);
    this.#previous = previous === null ? null : asBuffer(previous);
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

function hmac(secret: Buffer, purpose: string, value: string): string {
  return createHmac("sha256", secret)
    .update(purpose)
    .update("\0")
    .update(value)
    .digest()
    .subarray(0, 16)
    .toString("base64url");
}
