/**
 * Junk human-verification proofs are counted: each attempt counts against the caller's IP and device caps like a
 * send, before the verifier is called, and calls to the verifier have a per-IP rate of their own, so one network
 * cannot hold the verifier client's in-flight slots. Against a real loopback verifier that counts its calls, in
 * memory and in Redis.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import type { HumanVerificationPolicy } from "../../src/otp/human-verification.js";
import type { OtpOutcome } from "../../src/otp/model.js";
import type { OtpService } from "../../src/otp/otp-service.js";
import type { OtpStore } from "../../src/otp/store/store.js";
import { UpstreamClient } from "../../src/providers/http-client.js";
import { createHumanVerifier } from "../../src/providers/human-verifier/verifier.js";
import { json, startUpstream, type Upstream } from "../helpers/upstream.js";
import { backends, manualClock, phoneService, type ManualClock, asked } from "./fixtures.js";

const redisUrl = inject("redisUrl");
const SENT = json(200, { success: true, message: "request processed successfully", data: { otp: 123456 } });
/** The one token the loopback verifier takes; every other one is junk. */
const VALID = "valid.token.from-the-widget";
/** The verifier client's in-flight cap in these tests. */
const VERIFIER_SLOTS = 16;

let upstream: Upstream;
let verifier: Upstream;
/** While set, the verifier holds its answers to junk tokens until it is released (a slow verifier). */
let held: { release: () => void; gate: Promise<void> } | null = null;

beforeAll(async () => {
  upstream = await startUpstream(SENT);
  verifier = await startUpstream(async (request, res, req) => {
    const token = new URLSearchParams(request.text).get("response");
    if (token === VALID) return json(200, { success: true })(request, res, req);
    await held?.gate;
    return json(200, { success: false, "error-codes": ["invalid-input-response"] })(request, res, req);
  });
});
afterAll(async () => {
  await Promise.all([upstream.close(), verifier.close()]);
});

function holdJunk(): () => void {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  held = { release, gate };
  return () => {
    held = null;
    release();
  };
}

function alwaysVerify(maxPerIpPerMinute?: number, slots = VERIFIER_SLOTS): HumanVerificationPolicy {
  return {
    mode: "always",
    after: 2,
    failOpen: false,
    ...(maxPerIpPerMinute !== undefined && { maxPerIpPerMinute }),
    verifier: createHumanVerifier(
      {
        kind: "TURNSTILE",
        secret: "live-secret",
        siteKey: "site-key",
        url: `${verifier.url}/siteverify`,
        hostnames: null,
        action: null,
        minScore: null,
      },
      new UpstreamClient({
        timeoutMs: 30_000,
        maxBodyBytes: 16 * 1024,
        resilience: { breakerFailures: 1000, breakerHalfOpenMs: 30_000, maxInFlight: slots },
      }),
    ),
  };
}

const tally = (outcomes: OtpOutcome[]) => {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) {
    const name =
      outcome.kind === "HumanVerificationRequired"
        ? outcome.reason
        : outcome.kind === "RateLimited"
          ? `RateLimited: ${outcome.message}`
          : outcome.kind;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
};

const IP_MESSAGE = "RateLimited: Too many OTP requests from this network. Please try again later.";
const DEVICE_MESSAGE = "RateLimited: Too many OTPs were requested from this device. Please try again later.";
const VERIFIER_MESSAGE =
  "RateLimited: Too many attempts at the check that you are not a robot from this network. Please wait a minute and try again.";

for (const backend of backends(redisUrl)) {
  describe.skipIf(backend.skip)(`a flood of junk human proofs (${backend.name} store)`, () => {
    let clock: ManualClock;
    let store: OtpStore;
    beforeEach(() => {
      clock = manualClock();
      store = backend.make(clock.now);
      upstream.requests.length = 0;
      verifier.requests.length = 0;
    });
    afterEach(() => store.close());
    const service = (limits: Parameters<typeof phoneService>[0]["limits"], policy: HumanVerificationPolicy) =>
      phoneService({ baseUrl: upstream.url, store, clock, limits, options: { humanVerification: policy } });
    const junk = (otp: OtpService, ip: string, index: number, device = `device-${index}`) =>
      otp.requestOtp(
        asked({ phone: { phone: `+9198${String(10_000_000 + index)}`, country: "IN", deviceId: device } }),
        { clientIp: ip, idempotencyKey: null, humanProof: `junk-${index}` },
      );

    it("40 junk proofs from one IP with an IP cap of 10 make 10 siteverify calls; the rest are RateLimited", async () => {
      const otp = service({ maxPerIpPerHour: 10 }, alwaysVerify(0));
      const outcomes = await Promise.all(
        Array.from({ length: 40 }, (_, index) => junk(otp, "203.0.113.7", index)),
      );
      expect(tally(outcomes)).toEqual({ PROOF_REJECTED: 10, [IP_MESSAGE]: 30 });
      expect(verifier.requests).toHaveLength(10);
      expect(upstream.requests).toHaveLength(0);
      // The IP's cap is spent: even a valid proof from it is refused now, without calling the verifier.
      const valid = await otp.requestOtp(
        asked({ phone: { phone: "+919811112222", country: "IN", deviceId: "d" } }),
        { clientIp: "203.0.113.7", idempotencyKey: null, humanProof: VALID },
      );
      expect(valid).toMatchObject({ kind: "RateLimited", limitedBy: "LOCAL_POLICY" });
      expect(verifier.requests).toHaveLength(10);
    });

    it("junk from many IPs: each IP gets its cap of calls, and one device its own cap across them", async () => {
      // Slots for all of them: many networks at once can fill the in-flight cap, which is what it is for.
      const otp = service({ maxPerIpPerHour: 2, maxPerDevicePerHour: 5 }, alwaysVerify(0, 200));
      const outcomes = await Promise.all(
        Array.from({ length: 120 }, (_, index) => junk(otp, `198.51.100.${index % 40}`, index)),
      );
      expect(tally(outcomes)).toEqual({ PROOF_REJECTED: 80, [IP_MESSAGE]: 40 });
      expect(verifier.requests).toHaveLength(80);

      verifier.requests.length = 0;
      const oneDevice = await Promise.all(
        Array.from({ length: 30 }, (_, index) => junk(otp, `192.0.2.${index}`, 200 + index, "bot-device")),
      );
      expect(tally(oneDevice)).toEqual({ PROOF_REJECTED: 5, [DEVICE_MESSAGE]: 25 });
      expect(verifier.requests).toHaveLength(5);
    });

    it("a valid proof counts the caller's caps once: the send with it does not count them again", async () => {
      const otp = service({ maxPerIpPerHour: 2, cooldownSeconds: 0 }, alwaysVerify(0));
      const send = (index: number) =>
        otp.requestOtp(
          asked({ phone: { phone: `+9198${String(20_000_000 + index)}`, country: "IN", deviceId: "one" } }),
          { clientIp: "203.0.113.8", idempotencyKey: null, humanProof: VALID },
        );
      expect((await send(1)).kind).toBe("OtpSent");
      expect((await send(2)).kind).toBe("OtpSent");
      expect(await send(3)).toMatchObject({ kind: "RateLimited", message: IP_MESSAGE.slice(13) });
      expect(verifier.requests).toHaveLength(2);
      expect(upstream.requests).toHaveLength(2);
    });

    it("150 concurrent junk proofs from one IP against a slow verifier do not hold its slots from a real user", async () => {
      const otp = service({ maxPerIpPerHour: 0, maxPerDevicePerHour: 0 }, alwaysVerify());
      const release = holdJunk();
      const flood = Promise.all(Array.from({ length: 150 }, (_, index) => junk(otp, "203.0.113.9", index)));
      // The default per-IP rate (10 a minute) lets 10 reach the verifier, where they are held.
      await until(() => verifier.requests.length >= 10);
      const real = await otp.requestOtp(
        asked({ phone: { phone: "+919833334444", country: "IN", deviceId: "real-user" } }),
        { clientIp: "192.0.2.200", idempotencyKey: null, humanProof: VALID },
      );
      expect(real).toMatchObject({ kind: "OtpSent" });
      release();
      expect(tally(await flood)).toEqual({ PROOF_REJECTED: 10, [VERIFIER_MESSAGE]: 140 });
      expect(verifier.requests).toHaveLength(11);

      // A minute later the network may ask the verifier again.
      clock.advance(60_000);
      expect(await junk(otp, "203.0.113.9", 1000)).toMatchObject({ reason: "PROOF_REJECTED" });
    });

    it("without the per-IP rate, the same flood fills the verifier's slots and the real user is refused", async () => {
      const otp = service({ maxPerIpPerHour: 0, maxPerDevicePerHour: 0 }, alwaysVerify(0));
      const release = holdJunk();
      const flood = Promise.all(Array.from({ length: 150 }, (_, index) => junk(otp, "203.0.113.10", index)));
      await until(() => verifier.requests.length >= VERIFIER_SLOTS);
      const real = await otp.requestOtp(
        asked({ phone: { phone: "+919833334445", country: "IN", deviceId: "real-user" } }),
        { clientIp: "192.0.2.201", idempotencyKey: null, humanProof: VALID },
      );
      expect(real).toMatchObject({ kind: "ProviderUnavailable" });
      release();
      await flood;
    });
  });
}

/** Resolves once `condition` holds, looking after each turn of the event loop (no wall-clock assumption). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
