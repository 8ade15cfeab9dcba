import { createHmac, randomBytes } from "node:crypto";

/**
 * Turns what the store is keyed on (a destination, a device id, an IP, an idempotency key, an input) into
 * opaque keys: HMAC-SHA-256 with a secret, so neither the store nor a copy of it holds them in clear, and a
 * fingerprint of an input with a password cannot be brute-forced without the secret. Replicas that share a
 * store must share the secret (`OTP_STATE_SECRET`).
 */
export class StateKeys {
  readonly #secret: Buffer;

  constructor(secret: string | Buffer) {
    this.#secret = typeof secret === "string" ? Buffer.from(secret, "utf8") : secret;
  }

  /** A process-local secret: fine for the memory store, which no other process reads. */
  static random(): StateKeys {
    return new StateKeys(randomBytes(32));
  }

  /** 128 bits of HMAC-SHA-256 over `purpose` and `value`, base64url (22 characters). */
  key(purpose: string, value: string): string {
    return createHmac("sha256", this.#secret)
      .update(purpose)
      .update("\0")
      .update(value)
      .digest()
      .subarray(0, 16)
      .toString("base64url");
  }
}
