import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StateKeys } from "../../src/otp/store/state-keys.js";

/** The key as the standard library makes it: 128 bits of HMAC-SHA-256 over purpose, a zero byte and value. */
function reference(secret: Buffer, purpose: string, value: string): string {
  return createHmac("sha256", secret)
    .update(purpose)
    .update("\0")
    .update(value)
    .digest()
    .subarray(0, 16)
    .toString("base64url");
}

describe("state keys", () => {
  it("are HMAC-SHA-256, byte for byte, for any secret (shorter or longer than a block), purpose and value", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.string({ unit: "grapheme", maxLength: 40 }),
        fc.string({ unit: "binary", maxLength: 300 }),
        (bytes, purpose, value) => {
          const secret = Buffer.from(bytes);
          const previous = Buffer.concat([secret, Buffer.from("x")]);
          const keys = new StateKeys(secret, previous);
          expect(keys.key(purpose, value)).toBe(reference(secret, purpose, value));
          expect(keys.previousKey(purpose, value)).toBe(reference(previous, purpose, value));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("are HMAC-SHA-256 at the block's edge: secrets of 63, 64, 65 and 72 bytes, and longer", () => {
    for (const length of [1, 32, 63, 64, 65, 72, 128, 200]) {
      const secret = Buffer.alloc(length, length);
      expect(new StateKeys(secret).key("device", "d-1"), `${length} bytes`).toBe(
        reference(secret, "device", "d-1"),
      );
    }
  });

  it("take a secret given as text as its UTF-8 bytes, and have no previous form without a rotation", () => {
    const keys = new StateKeys("ünïcode-secret-of-the-tests");
    expect(keys.key("destination", "+919810000000")).toBe(
      reference(Buffer.from("ünïcode-secret-of-the-tests", "utf8"), "destination", "+919810000000"),
    );
    expect(keys.previousKey("destination", "+919810000000")).toBeUndefined();
  });
});
