import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import type { OtpOutcome } from "../../src/otp/model.js";
import { clientNetwork, limitRequest } from "../../src/otp/limits.js";
import type { OtpService } from "../../src/otp/otp-service.js";
import { RedisStore } from "../../src/otp/store/redis.js";
import { StateKeys } from "../../src/otp/store/state-keys.js";
import { StoreUnavailableError, type OtpStore } from "../../src/otp/store/store.js";
import { DEFAULT_LIMITS } from "../helpers/limits.js";
import { json, refusedUrl, startUpstream, type Upstream } from "../helpers/upstream.js";
import { phoneRequest, asked, backends, manualClock, phoneService, type ManualClock } from "./fixtures.js";

const redisUrl = inject("redisUrl");
const MINUTE = 60_000;
const SENT = json(200, { success: true, message: "request processed successfully", data: { otp: 123456 } });

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream(SENT);
});
afterAll(() => upstream.close());

function expectLocallyLimited(outcome: OtpOutcome, retryAfterSeconds: number, message: RegExp) {
  expect(outcome).toEqual({
    kind: "RateLimited",
    provider: "PHONE",
    limitedBy: "LOCAL_POLICY",
    providerCode: null,
    retryable: true,
    retryAfterSeconds,
    message: expect.stringMatching(message) as unknown,
  });
}

for (const backend of backends(redisUrl)) {
  describe.skipIf(backend.skip)(`local limits (${backend.name} store)`, () => {
    let clock: ManualClock;
    let store: OtpStore;
    const context = { clientIp: "198.51.100.7", idempotencyKey: null };
    beforeEach(() => {
      clock = manualClock();
      store = backend.make(clock.now);
      upstream.requests.length = 0;
      upstream.respond(SENT);
    });
    afterEach(() => store.close());
    const service = (limits: Parameters<typeof phoneService>[0]["limits"] = {}): OtpService =>
      phoneService({ baseUrl: upstream.url, store, clock, limits });

    it("cooldown per destination: refused with the true time left, and resendAvailableAt is when it ends", async () => {
      const otp = service();
      const first = await otp.requestOtp(phoneRequest(1), context);
      if (first.kind !== "OtpSent") throw new Error(`expected OtpSent, got ${first.kind}`);
      expect(first.challenge.resendAvailableAt.getTime() - first.challenge.sentAt.getTime()).toBe(30_000);

      expectLocallyLimited(await otp.requestOtp(phoneRequest(1, "device-2"), context), 30, /just sent/);
      clock.advance(29_000);
      expectLocallyLimited(await otp.requestOtp(phoneRequest(1), context), 1, /just sent/);
      clock.advance(999);
      expectLocallyLimited(await otp.requestOtp(phoneRequest(1), context), 1, /just sent/);
      expect(upstream.requests).toHaveLength(1);

      clock.advance(first.challenge.resendAvailableAt.getTime() - clock.now());
      expect(await otp.requestOtp(phoneRequest(1), context)).toMatchObject({ kind: "OtpSent" });
      expect(await otp.requestOtp(phoneRequest(2), context)).toMatchObject({ kind: "OtpSent" });
      expect(upstream.requests).toHaveLength(3);
    });

    it("hourly cap per destination, counted over a sliding hour", async () => {
      const otp = service({ cooldownSeconds: 0 });
      for (let send = 0; send < 5; send += 1) {
        expect(await otp.requestOtp(phoneRequest(3, `device-${send}`), context)).toMatchObject({
          kind: "OtpSent",
        });
        clock.advance(10 * MINUTE);
      }
      // Sends at 0, 10, 20, 30 and 40 minutes; it is now 50: the first leaves the hour in 10 minutes.
      expectLocallyLimited(
        await otp.requestOtp(phoneRequest(3, "device-9"), context),
        600,
        /this destination/,
      );
      expect(await otp.requestOtp(phoneRequest(4), context)).toMatchObject({ kind: "OtpSent" });
      clock.advance(10 * MINUTE);
      expect(await otp.requestOtp(phoneRequest(3), context)).toMatchObject({ kind: "OtpSent" });
      expect(upstream.requests).toHaveLength(7);
    });

    it("hourly cap per device, across destinations", async () => {
      const otp = service({ maxPerDevicePerHour: 2 });
      expect(await otp.requestOtp(phoneRequest(10, "shared-device"), context)).toMatchObject({
        kind: "OtpSent",
      });
      clock.advance(5 * MINUTE);
      expect(await otp.requestOtp(phoneRequest(11, "shared-device"), context)).toMatchObject({
        kind: "OtpSent",
      });
      clock.advance(5 * MINUTE);
      expectLocallyLimited(
        await otp.requestOtp(phoneRequest(12, "shared-device"), context),
        50 * 60,
        /this device/,
      );
      expect(await otp.requestOtp(phoneRequest(12, "other-device"), context)).toMatchObject({
        kind: "OtpSent",
      });
    });

    it("hourly cap per client IP, across destinations and devices; an IPv6 /64 counts as one", async () => {
      const otp = service({ maxPerIpPerHour: 2 });
      const v6 = (suffix: string) => ({ clientIp: `2001:db8:1:2${suffix}`, idempotencyKey: null });
      expect(await otp.requestOtp(phoneRequest(20, "a"), v6("::1"))).toMatchObject({ kind: "OtpSent" });
      expect(await otp.requestOtp(phoneRequest(21, "b"), v6(":aaaa:bbbb:cccc:dddd"))).toMatchObject({
        kind: "OtpSent",
      });
      expectLocallyLimited(await otp.requestOtp(phoneRequest(22, "c"), v6("::2")), 3600, /this network/);
      const other = { clientIp: "203.0.113.5", idempotencyKey: null };
      expect(await otp.requestOtp(phoneRequest(22, "c"), other)).toMatchObject({ kind: "OtpSent" });
    });

    it("0 turns every limit off", async () => {
      const otp = service({
        cooldownSeconds: 0,
        maxPerDestinationPerHour: 0,
        maxPerDevicePerHour: 0,
        maxPerIpPerHour: 0,
      });
      for (let send = 0; send < 12; send += 1) {
        expect(await otp.requestOtp(phoneRequest(30), context)).toMatchObject({ kind: "OtpSent" });
      }
      expect(upstream.requests).toHaveLength(12);
      const sent = await otp.requestOtp(phoneRequest(30), context);
      expect(sent.kind === "OtpSent" && sent.challenge.resendAvailableAt).toEqual(new Date(clock.now()));
    });

    it("a local InvalidInput counts toward nothing; a provider's refusal counts (it reached the provider)", async () => {
      const otp = service({ cooldownSeconds: 0, maxPerDestinationPerHour: 2 });
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const invalid = await otp.requestOtp(
          asked({ phone: { phone: "+9198000000", country: "IN", deviceId: "d" } }),
          context,
        );
        expect(invalid).toMatchObject({ kind: "InvalidInput", providerCode: null });
      }
      expect(upstream.requests).toHaveLength(0);

      upstream.respond(json(429, { success: false, message: "Two many request" }, { "retry-after": "60" }));
      expect(await otp.requestOtp(phoneRequest(40), context)).toMatchObject({
        kind: "RateLimited",
        limitedBy: "PROVIDER",
      });
      upstream.respond(SENT);
      expect(await otp.requestOtp(phoneRequest(40), context)).toMatchObject({ kind: "OtpSent" });
      expectLocallyLimited(await otp.requestOtp(phoneRequest(40), context), 3600, /this destination/);
      expect(upstream.requests).toHaveLength(2);
    });

    it("a refused send counts against none of its limits", async () => {
      const otp = service({ cooldownSeconds: 0, maxPerDestinationPerHour: 1, maxPerDevicePerHour: 2 });
      expect(await otp.requestOtp(phoneRequest(50, "dev"), context)).toMatchObject({ kind: "OtpSent" });
      for (let attempt = 0; attempt < 3; attempt += 1) {
        expect(await otp.requestOtp(phoneRequest(50, "dev"), context)).toMatchObject({ kind: "RateLimited" });
      }
      // The refused sends did not use up the device's second send.
      expect(await otp.requestOtp(phoneRequest(51, "dev"), context)).toMatchObject({ kind: "OtpSent" });
    });

    it("concurrent sends to one destination never pass its cap", async () => {
      const otp = service({ cooldownSeconds: 0, maxPerDestinationPerHour: 5, maxPerIpPerHour: 0 });
      const outcomes = await Promise.all(
        Array.from({ length: 30 }, (_, index) => otp.requestOtp(phoneRequest(60, `d${index}`), context)),
      );
      expect(outcomes.filter((outcome) => outcome.kind === "OtpSent")).toHaveLength(5);
      expect(upstream.requests).toHaveLength(5);
    });
  });
}

describe("fail closed", () => {
  it("with the store away, requestOtp rejects with StoreUnavailableError and nothing reaches the provider", async () => {
    upstream.requests.length = 0;
    const clock = manualClock();
    const url = (await refusedUrl()).replace("http", "redis");
    const store = new RedisStore({ url, keyPrefix: "unreachable:", now: clock.now });
    try {
      const otp = phoneService({ baseUrl: upstream.url, store, clock });
      await expect(
        otp.requestOtp(phoneRequest(70), { clientIp: "198.51.100.1", idempotencyKey: null }),
      ).rejects.toThrow(StoreUnavailableError);
      await expect(
        otp.requestOtp(phoneRequest(70), { clientIp: "198.51.100.1", idempotencyKey: "k" }),
      ).rejects.toThrow(StoreUnavailableError);
      expect(await store.ping()).toBe(false);
      expect(upstream.requests).toHaveLength(0);
    } finally {
      await store.close();
    }
  });
});

describe("what the per-IP cap counts on", () => {
  it.each([
    ["203.0.113.9", "203.0.113.9"],
    ["::ffff:203.0.113.9", "203.0.113.9"],
    ["2001:DB8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:db8:0001:0002:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"],
    ["::1", "0:0:0:0::/64"],
  ])("%s counts as %s", (ip, network) => {
    expect(clientNetwork(ip)).toBe(network);
  });
});

describe("a send's store keys", () => {
  it("are each one HMAC: the cooldown and the destination cap share theirs", () => {
    const purposes: string[] = [];
    const keys = new (class extends StateKeys {
      override key(purpose: string, value: string): string {
        purposes.push(purpose);
        return super.key(purpose, value);
      }
    })("a-secret-of-the-tests-".repeat(2));
    const request = limitRequest(
      DEFAULT_LIMITS,
      {
        provider: "PHONE",
        destination: "+919810000000",
        phone: "+919810000000",
        country: "IN",
        device: "device-1",
        clientIp: "203.0.113.9",
      },
      keys,
    );
    expect(purposes.sort()).toEqual(["destination", "device", "ip", "range"]);
    expect(request.cooldown?.key).toBe(request.caps.find((cap) => cap.name === "destination")?.key);
  });
});
