/**
 * One rule, two stores, one check: the same random history of sends and give-backs (all of a send, or only its
 * single-use value), run on the memory store and on a real Redis, gets the same answers from both.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { MemoryStore } from "../../src/otp/store/memory.js";
import { RedisStore } from "../../src/otp/store/redis.js";
import type {
  CapName,
  CapRule,
  LimitDecision,
  LimitReceipt,
  LimitRequest,
  OtpStore,
} from "../../src/otp/store/store.js";
import { uniquePrefix } from "../helpers/redis.js";

const redisUrl = inject("redisUrl");
const HOUR = 60 * 60 * 1000;

type Step =
  | { kind: "send"; destination: number; ip: number; advanceMs: number }
  | { kind: "giveBack"; which: number; part: "all" | "singleUse" };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant("send" as const),
    destination: fc.integer({ min: 0, max: 2 }),
    ip: fc.integer({ min: 0, max: 1 }),
    advanceMs: fc.constantFrom(0, 0, 1, 10_000, 30_000, 600_000, 20 * 60_000),
  }),
  fc.record({
    kind: fc.constant("giveBack" as const),
    which: fc.nat(),
    part: fc.constantFrom("all" as const, "singleUse" as const),
  }),
);

/** One send's limits, as `limitRequest` builds them: a cooldown and caps on the destination, an IP cap, a reference. */
function request(run: string, destination: number, ip: number): LimitRequest {
  const cap = (name: CapName, key: string, max: number, windowMs = HOUR): CapRule => ({
    name,
    key: `${run}:${key}`,
    max,
    keep: max,
    windowMs,
  });
  return {
    cooldown: { key: `${run}:destination:${String(destination)}`, ms: 30_000 },
    caps: [
      cap("destination", `destination:${String(destination)}`, 2),
      cap("ip", `ip:${String(ip)}`, 3),
      cap("singleUse", `singleUse:${String(destination)}`, 1, 600_000),
    ],
  };
}

const singleUseOf = (limits: LimitRequest): LimitRequest => ({
  cooldown: null,
  caps: limits.caps.filter((cap) => cap.name === "singleUse"),
});

describe.skipIf(redisUrl === null)("giving back, the memory store and Redis together", () => {
  let now = Date.UTC(2026, 0, 1);
  let redis: RedisStore;
  beforeAll(() => {
    redis = new RedisStore({ url: redisUrl ?? "", keyPrefix: uniquePrefix("release-model"), now: () => now });
  });
  afterAll(() => redis.close());

  it("answer every send of the same history alike", async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const run = String(runs++);
        const memory = new MemoryStore({ now: () => now });
        const stores: OtpStore[] = [memory, redis];
        const counted: { limits: LimitRequest; receipts: LimitReceipt[] }[] = [];
        for (const next of steps) {
          if (next.kind === "send") {
            now += next.advanceMs;
            const limits = request(run, next.destination, next.ip);
            const decisions: LimitDecision[] = [];
            for (const store of stores) decisions.push(await store.consumeLimits(limits));
            const [inMemory, inRedis] = decisions;
            expect(inMemory && { ...inMemory, receipt: undefined }).toEqual(
              inRedis && { ...inRedis, receipt: undefined },
            );
            if (inMemory?.allowed && inRedis?.allowed) {
              counted.push({ limits, receipts: [inMemory.receipt, inRedis.receipt] });
            }
          } else if (counted.length > 0) {
            // Each send is given back at most once, as the use case does.
            const [send] = counted.splice(next.which % counted.length, 1);
            if (!send) continue;
            const part = next.part === "all" ? send.limits : singleUseOf(send.limits);
            await Promise.all(
              stores.map((store, index) => store.releaseLimits(part, send.receipts[index] ?? "")),
            );
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
