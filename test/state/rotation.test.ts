import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { LocalLimits, type SendSubject } from "../../src/otp/limits.js";
import type { OtpService } from "../../src/otp/otp-service.js";
import { StateKeys } from "../../src/otp/store/state-keys.js";
import type { OtpStore } from "../../src/otp/store/store.js";
import { DEFAULT_LIMITS } from "../helpers/limits.js";
import { json, startUpstream, type Upstream } from "../helpers/upstream.js";
import { phoneRequest, backends, manualClock, phoneService, type ManualClock } from "./fixtures.js";

const redisUrl = inject("redisUrl");
const SENT = json(200, { success: true, message: "request processed successfully", data: { otp: 123456 } });
const OLD = "old-state-secret-0123456789abcdefghijkl";
const NEW = "new-state-secret-0123456789abcdefghijkl";
const MINUTE = 60_000;

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream(SENT);
});
afterAll(() => upstream.close());

for (const backend of backends(redisUrl)) {
  describe.skipIf(backend.skip)(`OTP_STATE_SECRET_PREVIOUS (${backend.name} store)`, () => {
    let clock: ManualClock;
    let store: OtpStore;
    const context = { clientIp: "198.51.100.7", idempotencyKey: null };
    beforeEach(() => {
      clock = manualClock();
      store = backend.make(clock.now);
      upstream.requests.length = 0;
    });
    afterEach(() => store.close());
    /** A replica on the shared store, with its secrets (the first is the current one). */
    const replica = (keys: StateKeys): OtpService =>
      phoneService({ baseUrl: upstream.url, store, clock, options: { stateKeys: keys } });
    const before = () => replica(new StateKeys(OLD));
    const rotating = () => replica(new StateKeys(NEW, OLD));
    const after = () => replica(new StateKeys(NEW));

    it("keeps a destination's cap and cooldown counted under the previous secret", async () => {
      for (let i = 0; i < DEFAULT_LIMITS.maxPerDestinationPerHour - 1; i++) {
        if (i > 0) clock.advance(MINUTE);
        expect((await before().requestOtp(phoneRequest(1, `d${i}`), context)).kind).toBe("OtpSent");
      }
      // The cooldown of the last send still holds after the switch.
      const cooled = await rotating().requestOtp(phoneRequest(1, "d-cool"), context);
      expect(cooled).toMatchObject({ kind: "RateLimited", retryAfterSeconds: 30 });
      // Without the previous secret, all of it would be forgotten: the control that this test can fail.
      expect((await after().requestOtp(phoneRequest(1, "d-new"), context)).kind).toBe("OtpSent");
      clock.advance(MINUTE);
      // 4 sends under the old secret, 1 under the new: the cap of 5 is reached, and the oldest (4 min ago plus the
      // hour) is when it opens again.
      const capped = await rotating().requestOtp(phoneRequest(1, "d-last"), context);
      expect(capped).toMatchObject({ kind: "RateLimited", retryAfterSeconds: 60 * 60 - 4 * 60 });
      expect(upstream.requests).toHaveLength(5);
    });

    it("writes new sends under the current secret only", async () => {
      for (let i = 0; i < DEFAULT_LIMITS.maxPerDestinationPerHour; i++) {
        expect((await rotating().requestOtp(phoneRequest(2, `d${i}`), context)).kind).toBe("OtpSent");
        clock.advance(MINUTE);
      }
      expect((await after().requestOtp(phoneRequest(2, "d-x"), context)).kind).toBe("RateLimited");
      expect((await before().requestOtp(phoneRequest(2, "d-y"), context)).kind).toBe("OtpSent");
    });

    it("replays an idempotency key recorded under the previous secret, and still refuses another input", async () => {
      const first = await before().requestOtp(phoneRequest(3), { ...context, idempotencyKey: "rotate-key" });
      if (first.kind !== "OtpSent") throw new Error(`expected OtpSent, got ${first.kind}`);
      const again = await rotating().requestOtp(phoneRequest(3), {
        ...context,
        idempotencyKey: "rotate-key",
      });
      expect(again).toMatchObject({ kind: "OtpSent", challenge: { id: first.challenge.id } });
      // Another input to the same destination (keys are scoped to it): a conflict.
      const other = await rotating().requestOtp(phoneRequest(3, "device-2"), {
        ...context,
        idempotencyKey: "rotate-key",
      });
      expect(other).toMatchObject({ kind: "InvalidInput", fieldErrors: [{ field: "idempotencyKey" }] });
      expect(upstream.requests).toHaveLength(1);
      // The control: under the new secret alone, the key is new.
      clock.advance(MINUTE);
      const fresh = await after().requestOtp(phoneRequest(3, "device-2"), {
        ...context,
        idempotencyKey: "rotate-key",
      });
      expect(fresh.kind).toBe("OtpSent");
    });

    it("keeps a single-use value used under the previous secret, and the activity counts", async () => {
      const subject = (device: string): SendSubject => ({
        provider: "DMT",
        destination: "9876543210",
        phone: null,
        country: null,
        device,
        clientIp: "203.0.113.9",
        singleUse: { value: "REF-12345678", seconds: 600 },
      });
      const limits = (keys: StateKeys) =>
        new LocalLimits({ ...DEFAULT_LIMITS, cooldownSeconds: 0 }, store, keys, { keepActivity: 10 });
      expect(await limits(new StateKeys(OLD)).consume(subject("a"))).toMatchObject({ kind: "counted" });
      expect(await limits(new StateKeys(NEW, OLD)).consume(subject("a"))).toEqual({
        kind: "singleUseRepeated",
      });
      expect(await limits(new StateKeys(NEW)).consume(subject("a"))).toMatchObject({ kind: "counted" });
      // One send under each secret from device "a" and the IP: both counted while rotating.
      expect(await limits(new StateKeys(NEW, OLD)).recentActivity(subject("a"))).toMatchObject({
        device: 2,
        ip: 2,
      });
      expect(await limits(new StateKeys(NEW)).recentActivity(subject("a"))).toMatchObject({
        device: 1,
        ip: 1,
      });
    });
  });
}

describe("OTP_STATE_SECRET_PREVIOUS settings", () => {
  it("is read beside OTP_STATE_SECRET, and refused alone or equal to it", async () => {
    const { ConfigError, loadConfig } = await import("../../src/config.js");
    const redis = { OTP_STORE: "redis", REDIS_URL: "redis://127.0.0.1:6379" };
    expect(
      loadConfig({ ...redis, OTP_STATE_SECRET: NEW, OTP_STATE_SECRET_PREVIOUS: OLD }).stateSecretPrevious,
    ).toBe(OLD);
    expect(() => loadConfig({ ...redis, OTP_STATE_SECRET: NEW, OTP_STATE_SECRET_PREVIOUS: "short" })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ OTP_STATE_SECRET_PREVIOUS: OLD })).toThrow(
      "OTP_STATE_SECRET_PREVIOUS: only with OTP_STATE_SECRET",
    );
    expect(() => loadConfig({ OTP_STATE_SECRET: NEW, OTP_STATE_SECRET_PREVIOUS: NEW })).toThrow(
      "OTP_STATE_SECRET_PREVIOUS: the same as OTP_STATE_SECRET",
    );
  });
});
