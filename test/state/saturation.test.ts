import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { OtpOutcome } from "../../src/otp/model.js";
import type { OtpService } from "../../src/otp/otp-service.js";
import { MemoryStore } from "../../src/otp/store/memory.js";
import { RedisStore, SAFE_EVICTION_POLICY } from "../../src/otp/store/redis.js";
import type { OtpStore } from "../../src/otp/store/store.js";
import { startRedisServer, type RedisServer } from "../helpers/redis.js";
import { json, startUpstream, type Upstream } from "../helpers/upstream.js";
import { phoneRequest, manualClock, phoneInput, phoneService, type ManualClock, asked } from "./fixtures.js";

const redisUrl = inject("redisUrl");
const SENT = json(200, { success: true, message: "request processed successfully", data: { otp: 654321 } });
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** A flood from many addresses: the per-IP cap is off, as it would be for a botnet. */
const LIMITS = {
  cooldownSeconds: 30,
  maxPerDestinationPerHour: 2,
  maxPerDevicePerHour: 10,
  maxPerIpPerHour: 0,
  // The flood walks consecutive numbers: the range cap would refuse it before the store fills.
  maxPerRangePerHour: 0,
};
const SATURATED = "The service is receiving too many OTP requests. Please try again later.";
/** Far more sends than either store below can keep: the flood runs well past saturation. */
const FLOOD = 1500;

/** Room for about 200 sends with idempotency keys (each about 1 KB counted). */
const MEMORY_BOUND_BYTES = 256 * 1024;
/** Room above an empty Redis's own use: a few hundred sends. */
const REDIS_ROOM_BYTES = 512 * 1024;

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream(SENT);
});
afterAll(() => upstream.close());

interface Backend {
  name: string;
  skip: boolean;
  setup: (clock: ManualClock) => Promise<{ store: OtpStore; teardown: () => Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: "memory",
    skip: false,
    setup: (clock) =>
      Promise.resolve({
        store: new MemoryStore({ maxBytes: MEMORY_BOUND_BYTES, now: clock.now }),
        teardown: () => Promise.resolve(),
      }),
  },
  {
    // Its own redis-server (the run's shared one has no maxmemory), with the supported policy.
    name: "redis",
    skip: redisUrl === null,
    setup: async (clock) => {
      const server: RedisServer = await startRedisServer(["--maxmemory-policy", SAFE_EVICTION_POLICY]);
      const admin = new Redis(server.url);
      const info = await admin.info("memory");
      const used = Number(/used_memory:(\d+)/.exec(info)?.[1]);
      await admin.config("SET", "maxmemory", String(used + REDIS_ROOM_BYTES));
      await admin.quit();
      return {
        store: new RedisStore({ url: server.url, keyPrefix: "otp:", now: clock.now }),
        teardown: () => server.stop(),
      };
    },
  },
];

function sent(outcome: OtpOutcome) {
  if (outcome.kind !== "OtpSent") throw new Error(`expected OtpSent, got ${JSON.stringify(outcome)}`);
  return outcome.challenge;
}

for (const backend of backends) {
  describe.skipIf(backend.skip)(`a flood past the ${backend.name} store's bound`, () => {
    const clock = manualClock();
    let store: OtpStore;
    let teardown: () => Promise<void>;
    let otp: OtpService;
    const context = (idempotencyKey: string | null) => ({ clientIp: "198.51.100.7", idempotencyKey });
    beforeAll(async () => {
      ({ store, teardown } = await backend.setup(clock));
      otp = phoneService({ baseUrl: upstream.url, store, clock, limits: LIMITS });
      upstream.requests.length = 0;
    });
    afterAll(async () => {
      await store.close();
      await teardown();
    });

    it("forgets no live limit, idempotency record or challenge, and refuses the flood typed", async () => {
      // Before the flood: a destination capped (2 sends, the third refused), a keyed send, its challenge.
      const capped = phoneInput(1, "device-capped");
      sent(await otp.requestOtp(asked(capped), context(null)));
      clock.advance(31_000);
      sent(await otp.requestOtp(asked(capped), context(null)));
      clock.advance(31_000);
      expect(await otp.requestOtp(asked(capped), context(null))).toMatchObject({
        kind: "RateLimited",
        limitedBy: "LOCAL_POLICY",
      });
      const keyed = phoneInput(2, "device-keyed");
      const first = await otp.requestOtp(asked(keyed), context("key-before-the-flood"));
      const challenge = sent(first);
      expect(upstream.requests).toHaveLength(3);

      // The flood: distinct destinations and devices, each with its own idempotency key.
      const outcomes: OtpOutcome[] = [];
      for (let index = 0; index < FLOOD; index++) {
        clock.advance(100);
        outcomes.push(
          await otp.requestOtp(
            phoneRequest(1_000 + index, `flood-device-${index}`),
            context(`flood-${index}`),
          ),
        );
      }
      const sends = outcomes.filter((outcome) => outcome.kind === "OtpSent");
      const refusals = outcomes.filter((outcome) => outcome.kind !== "OtpSent");
      expect(upstream.requests).toHaveLength(3 + sends.length);
      // Redis counts more than the keys against maxmemory (scripts, the idempotency subscriber's connection): of
      // its 512 KB of room, a few dozen sends' worth is what is left for them.
      expect(sends.length).toBeGreaterThan(25);
      expect(refusals.length).toBeGreaterThan(FLOOD / 2);
      for (const refusal of refusals) {
        expect(refusal).toMatchObject({
          kind: "RateLimited",
          limitedBy: "LOCAL_POLICY",
          providerCode: null,
          retryable: true,
          message: SATURATED,
        });
        if (refusal.kind !== "RateLimited") continue;
        expect(refusal.retryAfterSeconds ?? 0).toBeGreaterThanOrEqual(1);
        expect(refusal.retryAfterSeconds ?? Infinity).toBeLessThanOrEqual(24 * 60 * 60);
      }
      if (store instanceof MemoryStore) {
        // Full of live state: nothing expires within the flood but pending claims, which were released.
        expect(store.usage().usedBytes).toBeLessThanOrEqual(MEMORY_BOUND_BYTES);
        // The wait is until the oldest live entry expires: the capped destination's, about an hour on.
        const waits = refusals.map((refusal) =>
          refusal.kind === "RateLimited" ? refusal.retryAfterSeconds : 0,
        );
        expect(Math.min(...waits.map((wait) => wait ?? 0))).toBeGreaterThan(HOUR / 1000 - 5 * 60);
      }

      // After the flood, within the hour: the capped destination is still capped, nothing is sent again.
      clock.advance(10 * MINUTE);
      const before = upstream.requests.length;
      expect(await otp.requestOtp(asked(capped), context(null))).toMatchObject({
        kind: "RateLimited",
        limitedBy: "LOCAL_POLICY",
        message: "Too many OTPs were requested for this destination. Please try again later.",
      });
      // The key replayed gets the first answer, with no second upstream call.
      expect(await otp.requestOtp(asked(keyed), context("key-before-the-flood"))).toEqual({
        ...first,
        devOtp: null,
      });
      // The flood's own sends are remembered too: the first and the last sent keys replay (the last one's answer
      // was written when the store was already full).
      const lastSent = outcomes.map((outcome) => outcome.kind).lastIndexOf("OtpSent");
      for (const index of [outcomes.findIndex((outcome) => outcome.kind === "OtpSent"), lastSent]) {
        const replay = phoneInput(1_000 + index, `flood-device-${index}`);
        expect(await otp.requestOtp(asked(replay), context(`flood-${index}`))).toEqual({
          ...outcomes[index],
          devOtp: null,
        });
      }
      expect(upstream.requests).toHaveLength(before);
      // The challenge saved before the flood still resolves.
      expect(await store.loadChallenges([challenge.id])).toEqual([challenge]);

      if (!(store instanceof MemoryStore)) return;
      // An hour on, what expired goes first: new destinations are sent again, and the capped one too.
      clock.advance(HOUR);
      sent(await otp.requestOtp(phoneRequest(999_999, "device-new"), context("key-after-the-hour")));
      sent(await otp.requestOtp(asked(capped), context(null)));
    });
  });
}
