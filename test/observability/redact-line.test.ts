import { describe, expect, it } from "vitest";
import { CENSOR, redactLine } from "../../src/log.js";

describe("redactLine", () => {
  it("censors sensitive keys at any depth and in any case, inside arrays too", () => {
    const line = {
      provider: "ITR",
      Password: "hunter2",
      upstream: { headers: { Authorization: "Bearer t" }, items: [{ ovdData: "234567890124", ok: 1 }] },
    };
    expect(redactLine(line)).toEqual({
      provider: "ITR",
      Password: CENSOR,
      upstream: { headers: { Authorization: CENSOR }, items: [{ ovdData: CENSOR, ok: 1 }] },
    });
    expect(line.Password).toBe("hunter2");
  });

  it("returns a clean line as it is, without copying it", () => {
    const line = { provider: "PHONE", result: "OtpSent", nested: { destinationHint: "******3210" } };
    expect(redactLine(line)).toBe(line);
  });
});
