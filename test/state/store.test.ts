import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { Redis } from "ioredis";
import type { Challenge, OtpOutcome } from "../../src/otp/model.js";
import { RedisStore } from "../../src/otp/store/redis.js";
import type { CapName, CapRule, LimitRequest, OtpStore } from "../../src/otp/store/store.js";
import { uniquePrefix } from "../helpers/redis.js";
import { backends, manualClock, type ManualClock } from "./fixtures.js";

const redisUrl = inject("redisUrl");
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function challenge(id: string, overrides: Partial<Challenge> = {}): Challenge {
  return {
    id,
    provider: "DMT",
    destinationHint: "******3210",
    sentAt: new Date("2026-01-01T09:00:00.000Z"),
    expiresAt: new Date("2026-01-01T09:10:00.000Z"),
    resendAvailableAt: new Date("2026-01-01T09:00:30.000Z"),
    attemptsAllowed: 5,
    providerMessage: "OTP sent",
    providerReference: "REF123456",
    ...overrides,
  };
}

const cap = (key: string, max: number, name: CapName = "destination", keep = max): CapRule => ({
  name,
  key,
  max,
  keep,
  windowMs: HOUR,
});
const caps = (...rules: CapRule[]): LimitRequest => ({ cooldown: null, caps: rules });

/** First outcomes as the use case stores them: a send (its OTP never kept), and a failure. */
const sent = (id: string): OtpOutcome => ({ kind: "OtpSent", challenge: challenge(id), devOtp: null });
const failed: OtpOutcome = {
  kind: "AccountNotFound",
  provider: "GST",
  providerCode: "404",
  retryable: false,
  message: "No account for this GSTIN.",
};

for (const backend of backends(redisUrl)) {
  describe.skipIf(backend.skip)(`${backend.name} store`, () => {
    let clock: ManualClock;
    let store: OtpStore;
    beforeEach(() => {
      clock = manualClock();
      store = backend.make(clock.now);
    });
    afterEach(() => store.close());

    it("answers ping", async () => {
      expect(await store.ping()).toBe(true);
    });

    describe("challenges", () => {
      it("loads many in the order asked, unknown ids as null, every field intact", async () => {
        const a = challenge("a".repeat(24));
        const b = challenge("b".repeat(24), {
          expiresAt: null,
          attemptsAllowed: null,
          providerReference: null,
        });
        await store.saveChallenge(a, 3600);
        await store.saveChallenge(b, 3600);
        expect(await store.loadChallenges([b.id, "unknown", a.id])).toEqual([b, null, a]);
        expect(await store.loadChallenges([])).toEqual([]);
      });

      it("forgets a challenge when its TTL is over", async () => {
        const a = challenge("c".repeat(24));
        await store.saveChallenge(a, 3600);
        clock.advance(HOUR - 1);
        expect(await store.loadChallenges([a.id])).toEqual([a]);
        clock.advance(1);
        expect(await store.loadChallenges([a.id])).toEqual([null]);
      });
    });

    describe("limits", () => {
      it("a cooldown refuses until its gap is over, with the exact time left", async () => {
        const request: LimitRequest = { cooldown: { key: "cooldown:x", ms: 30_000 }, caps: [] };
        expect(await store.consumeLimits(request)).toMatchObject({ allowed: true });
        clock.advance(10_000);
        expect(await store.consumeLimits(request)).toEqual({
          allowed: false,
          limit: "cooldown",
          retryAfterMs: 20_000,
        });
        clock.advance(19_999);
        expect(await store.consumeLimits(request)).toMatchObject({ allowed: false, retryAfterMs: 1 });
        clock.advance(1);
        expect(await store.consumeLimits(request)).toMatchObject({ allowed: true });
      });

      it("a cap counts in a sliding hour and answers when its oldest send leaves the window", async () => {
        const request = caps(cap("k", 3));
        for (const _ of [1, 2, 3]) {
          expect(await store.consumeLimits(request)).toMatchObject({ allowed: true });
          clock.advance(10 * MINUTE);
        }
        // Sends at 0, 10 and 20 minutes; it is now 30.
        expect(await store.consumeLimits(request)).toEqual({
          allowed: false,
          limit: "destination",
          retryAfterMs: 30 * MINUTE,
        });
        clock.advance(30 * MINUTE - 1);
        expect(await store.consumeLimits(request)).toMatchObject({ allowed: false, retryAfterMs: 1 });
        clock.advance(1);
        expect(await store.consumeLimits(request)).toMatchObject({ allowed: true });
        // Now 10, 20 and 60 minutes are in the window: the next slot opens at 70.
        expect(await store.consumeLimits(request)).toMatchObject({
          allowed: false,
          retryAfterMs: 10 * MINUTE,
        });
      });

      it("counts per key", async () => {
        expect(await store.consumeLimits(caps(cap("one", 1)))).toMatchObject({ allowed: true });
        expect(await store.consumeLimits(caps(cap("one", 1)))).toMatchObject({ allowed: false });
        expect(await store.consumeLimits(caps(cap("two", 1)))).toMatchObject({ allowed: true });
      });

      it("is all or nothing: a refused send counts against none of its limits", async () => {
        expect(await store.consumeLimits(caps(cap("ip", 1, "ip")))).toMatchObject({ allowed: true });
        const both: LimitRequest = {
          cooldown: { key: "cd", ms: 30_000 },
          caps: [cap("dest", 2), cap("ip", 1, "ip")],
        };
        expect(await store.consumeLimits(both)).toMatchObject({ allowed: false, limit: "ip" });
        expect(await store.consumeLimits({ cooldown: { key: "cd", ms: 30_000 }, caps: [] })).toMatchObject({
          allowed: true,
        });
        expect(await store.consumeLimits(caps(cap("dest", 2)))).toMatchObject({ allowed: true });
        expect(await store.consumeLimits(caps(cap("dest", 2)))).toMatchObject({ allowed: true });
        expect(await store.consumeLimits(caps(cap("dest", 2)))).toMatchObject({ allowed: false });
      });

      it("names the limit that lasts longest, and its time", async () => {
        const request: LimitRequest = {
          cooldown: { key: "cd2", ms: 30_000 },
          caps: [cap("d", 1), cap("dev", 1, "device")],
        };
        expect(await store.consumeLimits(request)).toMatchObject({ allowed: true });
        clock.advance(1000);
        expect(await store.consumeLimits(request)).toEqual({
          allowed: false,
          limit: "destination",
          retryAfterMs: HOUR - 1000,
        });
      });

      it("never passes a cap under concurrent calls", async () => {
        const request = caps(cap("race", 5));
        const decisions = await Promise.all(Array.from({ length: 40 }, () => store.consumeLimits(request)));
        expect(decisions.filter((decision) => decision.allowed)).toHaveLength(5);
      });
    });

    describe("giving a send back (releaseLimits)", () => {
      const consumed = async (request: LimitRequest) => {
        const decision = await store.consumeLimits(request);
        if (!decision.allowed) throw new Error(`refused by ${decision.limit}`);
        return decision.receipt;
      };

      it("undoes exactly that send: its cap count and the cooldown it started, no one else's", async () => {
        const request: LimitRequest = {
          cooldown: { key: "destination:d", ms: 30_000 },
          caps: [cap("destination:d", 2), cap("ip:i", 3, "ip")],
        };
        await consumed(request);
        clock.advance(40_000);
        const second = await consumed(request);
        // Both caps are at 2 now and the cooldown runs: the second send is given back.
        await store.releaseLimits(request, second);
        expect(await store.recentCounts([cap("destination:d", 2), cap("ip:i", 3)])).toEqual([1, 1]);
        // The cooldown it started is lifted, and the destination has room for one more again, not two.
        expect(await store.consumeLimits(request)).toMatchObject({ allowed: true });
        expect(await store.consumeLimits({ ...request, cooldown: null })).toMatchObject({
          allowed: false,
          limit: "destination",
        });
      });

      it("gives back one send among others made in the same millisecond", async () => {
        const request = caps(cap("k", 3));
        const first = await consumed(request);
        await consumed(request);
        await store.releaseLimits(request, first);
        expect(await store.recentCounts([cap("k", 3)])).toEqual([1]);
      });

      it("a part of the request gives back only those keys (a single-use value, the caps kept)", async () => {
        const single = cap("singleUse:ref", 1, "singleUse");
        const request = caps(cap("destination:d", 5), single);
        const receipt = await consumed(request);
        expect(await store.consumeLimits(request)).toMatchObject({ allowed: false, limit: "singleUse" });
        await store.releaseLimits(caps(single), receipt);
        expect(await store.recentCounts([cap("destination:d", 5), single])).toEqual([1, 0]);
        expect(await store.consumeLimits(request)).toMatchObject({ allowed: true });
      });

      it("leaves a later send's cooldown alone", async () => {
        const request: LimitRequest = { cooldown: { key: "destination:c", ms: 30_000 }, caps: [] };
        const first = await consumed(request);
        clock.advance(30_000);
        await consumed(request);
        await store.releaseLimits(request, first);
        expect(await store.consumeLimits(request)).toMatchObject({ allowed: false, limit: "cooldown" });
      });
    });

    describe("idempotency records", () => {
      it("claims once; a second claim sees the pending record; completing stores the outcome", async () => {
        expect(await store.claimIdempotency("key1", "fp", "token-1", 30)).toBeNull();
        expect(await store.claimIdempotency("key1", "fp", "token-2", 30)).toEqual({
          fingerprint: "fp",
          outcome: null,
        });
        expect(await store.claimIdempotency("key1", "other", "token-3", 30)).toEqual({
          fingerprint: "fp",
          outcome: null,
        });
        await store.completeIdempotency("key1", "token-2", failed, 86_400);
        expect(await store.claimIdempotency("key1", "fp", "token-4", 30)).toEqual({
          fingerprint: "fp",
          outcome: null,
        });
        await store.completeIdempotency("key1", "token-1", sent("k".repeat(24)), 86_400);
        expect(await store.claimIdempotency("key1", "fp", "token-5", 30)).toEqual({
          fingerprint: "fp",
          outcome: sent("k".repeat(24)),
        });
        await store.releaseIdempotency("key1", "token-1");
        expect(await store.claimIdempotency("key1", "fp", "token-6", 30)).toMatchObject({
          outcome: sent("k".repeat(24)),
        });
      });

      it("keeps an outcome for its TTL, then the key is free again", async () => {
        expect(await store.claimIdempotency("key2", "fp", "t1", 30)).toBeNull();
        await store.completeIdempotency("key2", "t1", failed, 86_400);
        clock.advance(86_400_000 - 1);
        expect(await store.claimIdempotency("key2", "fp", "t2", 30)).toEqual({
          fingerprint: "fp",
          outcome: failed,
        });
        clock.advance(1);
        expect(await store.claimIdempotency("key2", "fp", "t3", 30)).toBeNull();
      });

      it("frees a released claim at once, and an abandoned one when its lease is over", async () => {
        expect(await store.claimIdempotency("key3", "fp", "t1", 30)).toBeNull();
        await store.releaseIdempotency("key3", "someone else");
        expect(await store.claimIdempotency("key3", "fp", "t2", 30)).not.toBeNull();
        await store.releaseIdempotency("key3", "t1");
        expect(await store.claimIdempotency("key3", "fp", "t3", 30)).toBeNull();
        clock.advance(30_000);
        expect(await store.claimIdempotency("key3", "fp", "t4", 30)).toBeNull();
      });

      it("lets exactly one of many concurrent claims win", async () => {
        const claims = await Promise.all(
          Array.from({ length: 20 }, (_, index) => store.claimIdempotency("key4", "fp", `t${index}`, 30)),
        );
        expect(claims.filter((claim) => claim === null)).toHaveLength(1);
      });

      it("ends a watch when its claim is completed or released, and only that key's", async () => {
        const settled = (watch: { ended: Promise<void> }) => {
          let done = false;
          void watch.ended.then(() => (done = true));
          return () => done;
        };
        const completed = await store.watchIdempotency("key5");
        const released = await store.watchIdempotency("key6");
        const other = await store.watchIdempotency("key7");
        const [isCompleted, isReleased, isOther] = [settled(completed), settled(released), settled(other)];
        await store.claimIdempotency("key5", "fp", "t1", 30);
        await store.claimIdempotency("key6", "fp", "t1", 30);
        await store.completeIdempotency("key5", "t1", failed, 60);
        await completed.ended;
        await store.releaseIdempotency("key6", "t1");
        await released.ended;
        expect([isCompleted(), isReleased(), isOther()]).toEqual([true, true, false]);
        for (const watch of [completed, released, other]) watch.close();
      });
    });
  });
}

describe.skipIf(redisUrl === null)("redis store shared by two clients", () => {
  it("a claim completed through one client ends a watch made through the other", async () => {
    const prefix = uniquePrefix("watch");
    const first = new RedisStore({ url: redisUrl ?? "", keyPrefix: prefix });
    const second = new RedisStore({ url: redisUrl ?? "", keyPrefix: prefix });
    try {
      expect(await first.claimIdempotency("key", "fp", "t1", 30)).toBeNull();
      const watch = await second.watchIdempotency("key");
      // The subscription is in place on the server before the claim ends (a watch waits for it at most a second,
      // then relies on looking again; this test is about the notice).
      const admin = new Redis(redisUrl ?? "");
      try {
        for (;;) {
          const [, subscribers] = (await admin.pubsub("NUMSUB", `${prefix}idempotency-ended`)) as [
            string,
            number,
          ];
          if (subscribers > 0) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } finally {
        admin.disconnect();
      }
      await first.completeIdempotency("key", "t1", failed, 60);
      await watch.ended;
      watch.close();
      expect(await second.claimIdempotency("key", "fp", "t2", 30)).toEqual({
        fingerprint: "fp",
        outcome: failed,
      });
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it("two clients on one Redis never pass a cap together", async () => {
    const prefix = uniquePrefix("shared");
    const first = new RedisStore({ url: redisUrl ?? "", keyPrefix: prefix });
    const second = new RedisStore({ url: redisUrl ?? "", keyPrefix: prefix });
    try {
      const request = caps(cap("shared", 7));
      const decisions = await Promise.all(
        Array.from({ length: 60 }, (_, index) => (index % 2 ? second : first).consumeLimits(request)),
      );
      expect(decisions.filter((decision) => decision.allowed)).toHaveLength(7);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
