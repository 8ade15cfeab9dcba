import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { canonicalJson, Idempotency } from "../../src/otp/idempotency.js";
import type { OtpOutcome } from "../../src/otp/model.js";
import { RedisStore } from "../../src/otp/store/redis.js";
import { StateKeys } from "../../src/otp/store/state-keys.js";
import type { OtpStore } from "../../src/otp/store/store.js";
import { uniquePrefix } from "../helpers/redis.js";
import { json, startUpstream, type Upstream } from "../helpers/upstream.js";
import {
  backends,
  manualClock,
  phoneService,
  STATE_SECRET,
  type ManualClock,
  asked,
  phoneRequest,
} from "./fixtures.js";

const redisUrl = inject("redisUrl");
const SENT = json(200, { success: true, message: "request processed successfully", data: { otp: 654321 } });

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream(SENT);
});
afterAll(() => upstream.close());

function otpMissing(): never {
  throw new Error("no such replica");
}

function sentChallengeId(outcome: OtpOutcome): string {
  if (outcome.kind !== "OtpSent") throw new Error(`expected OtpSent, got ${JSON.stringify(outcome)}`);
  return outcome.challenge.id;
}

for (const backend of backends(redisUrl)) {
  describe.skipIf(backend.skip)(`idempotency keys (${backend.name} store)`, () => {
    let clock: ManualClock;
    let store: OtpStore;
    let prefix: string;
    const stores: OtpStore[] = [];
    const context = (idempotencyKey: string | null) => ({ clientIp: "198.51.100.20", idempotencyKey });
    beforeEach(() => {
      clock = manualClock();
      prefix = uniquePrefix("idempotency");
      store = backend.make(clock.now, prefix);
      stores.push(store);
      upstream.requests.length = 0;
      upstream.respond(SENT);
    });
    afterEach(async () => {
      await Promise.all(stores.splice(0).map((each) => each.close()));
    });
    const service = (over: { store?: OtpStore } = {}) =>
      phoneService({ baseUrl: upstream.url, store: over.store ?? store, clock, sandbox: true });

    it("the same key and input within 24 h answer the first result, with devOtp null, and send once", async () => {
      const otp = service();
      const first = await otp.requestOtp(phoneRequest(1), context("key-1"));
      expect(first).toMatchObject({ kind: "OtpSent", devOtp: "654321" });
      clock.advance(60_000);
      // The same input written another way is the same input once normalised.
      const again = await otp.requestOtp(
        asked({ phone: { phone: "+91 98 0000 0001", country: "in", deviceId: "device-1" } }),
        context("key-1"),
      );
      expect(again).toEqual({ ...first, devOtp: null });
      expect(upstream.requests).toHaveLength(1);

      clock.advance(24 * 60 * 60_000);
      const dayLater = await otp.requestOtp(phoneRequest(1), context("key-1"));
      expect(sentChallengeId(dayLater)).not.toBe(sentChallengeId(first));
      expect(upstream.requests).toHaveLength(2);
    });

    it("the same key with another input to the same destination is InvalidInput on idempotencyKey, and sends nothing", async () => {
      const otp = service();
      await otp.requestOtp(phoneRequest(2), context("key-2"));
      const other = await otp.requestOtp(phoneRequest(2, "another-device"), context("key-2"));
      expect(other).toEqual({
        kind: "InvalidInput",
        provider: "PHONE",
        providerCode: null,
        retryable: false,
        message: expect.any(String) as unknown,
        fieldErrors: [
          { field: "idempotencyKey", message: expect.stringContaining("different input") as unknown },
        ],
      });
      expect(upstream.requests).toHaveLength(1);
    });

    it("a bad key is reported with every other failing field, before anything runs", async () => {
      const otp = service();
      const outcome = await otp.requestOtp(
        asked({ phone: { phone: "12", country: "IN", deviceId: "d" } }),
        context("k".repeat(256)),
      );
      expect(outcome).toMatchObject({
        kind: "InvalidInput",
        fieldErrors: [
          { field: "phone.phone", message: expect.any(String) as unknown },
          { field: "idempotencyKey", message: "At most 255 characters." },
        ],
      });
      expect(await otp.requestOtp(phoneRequest(4), context(" "))).toMatchObject({
        kind: "InvalidInput",
        fieldErrors: [{ field: "idempotencyKey", message: "Must not be empty when given." }],
      });
      expect(upstream.requests).toHaveLength(0);
    });

    it("duplicates arriving at the same moment give one upstream call and one answer", async () => {
      upstream.respond(async (request, res, req) => {
        await new Promise((resolve) => setTimeout(resolve, 150));
        await SENT(request, res, req);
      });
      // With Redis, two services on one Redis are two replicas.
      const replicas = [service()];
      if (backend.shared) {
        const second = backend.make(clock.now, prefix);
        stores.push(second);
        replicas.push(service({ store: second }));
      }
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, (_, index) =>
          (replicas[index % replicas.length] ?? otpMissing()).requestOtp(phoneRequest(5), context("key-5")),
        ),
      );
      expect(upstream.requests).toHaveLength(1);
      const ids = new Set(outcomes.map(sentChallengeId));
      expect(ids.size).toBe(1);
      expect(
        outcomes.filter((outcome) => outcome.kind === "OtpSent" && outcome.devOtp !== null),
      ).toHaveLength(1);
    });

    it("a provider's failure is the key's answer too; a local refusal is not, so a retry with the key can send", async () => {
      const otp = service();
      upstream.respond(json(400, { success: false, message: "Invalid phone number" }));
      const refused = await otp.requestOtp(phoneRequest(6), context("key-6"));
      expect(refused).toMatchObject({ kind: "InvalidInput", providerCode: "400" });
      upstream.respond(SENT);
      expect(await otp.requestOtp(phoneRequest(6), context("key-6"))).toEqual(refused);
      expect(upstream.requests).toHaveLength(1);

      expect(await otp.requestOtp(phoneRequest(7), context(null))).toMatchObject({ kind: "OtpSent" });
      const cooling = await otp.requestOtp(phoneRequest(7), context("key-7"));
      expect(cooling).toMatchObject({ kind: "RateLimited", limitedBy: "LOCAL_POLICY" });
      clock.advance(30_000);
      expect(await otp.requestOtp(phoneRequest(7), context("key-7"))).toMatchObject({ kind: "OtpSent" });
      expect(upstream.requests).toHaveLength(3);
    });
  });
}

describe.skipIf(redisUrl === null)("what an idempotency record holds (Redis)", () => {
  it("no password, PAN or OTP, not even an unkeyed hash of the input", async () => {
    const prefix = uniquePrefix("secrets");
    const store = new RedisStore({ url: redisUrl ?? "", keyPrefix: prefix });
    const reader = new Redis(redisUrl ?? "");
    try {
      const idempotency = new Idempotency({ store, keys: new StateKeys(STATE_SECRET), leaseSeconds: 10 });
      const request = { pan: "ABCPE1234F", password: "correct horse battery staple" };
      const outcome: OtpOutcome = {
        kind: "OtpSent",
        devOtp: "908172",
        challenge: {
          id: "c".repeat(24),
          provider: "ITR",
          destinationHint: "ABC****34F",
          sentAt: new Date(),
          expiresAt: null,
          resendAvailableAt: new Date(),
          attemptsAllowed: null,
          providerMessage: "OTP sent",
          providerReference: null,
        },
      };
      const call = { provider: "ITR", idempotencyKey: "key-secret", scope: "ITR\0ABCPE1234F", request };
      const first = await idempotency.once(call, () => Promise.resolve({ outcome, final: true }));
      expect(first).toBe(outcome);
      const replay = await idempotency.once(call, () => {
        throw new Error("a replay must not run again");
      });
      expect(replay).toEqual({ ...outcome, devOtp: null });

      const keys = await reader.keys(`${prefix}*`);
      expect(keys).toHaveLength(1);
      const dump = JSON.stringify([keys, ...(await Promise.all(keys.map((key) => reader.hgetall(key))))]);
      const unkeyed = [request, { ITR: request }].map((value) =>
        createHash("sha256").update(canonicalJson(value)).digest("hex"),
      );
      for (const secret of [request.password, request.pan, "908172", "key-secret", ...unkeyed]) {
        expect(dump).not.toContain(secret);
      }
    } finally {
      reader.disconnect();
      await store.close();
    }
  });
});
