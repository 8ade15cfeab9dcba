import { randomBytes } from "node:crypto";
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { limitRequest, type LimitPolicy } from "../../src/otp/limits.js";
import { memoryCapacity } from "../../src/otp/memory-capacity.js";
import type { Challenge } from "../../src/otp/model.js";
import { MemoryStore } from "../../src/otp/store/memory.js";
import { StateKeys } from "../../src/otp/store/state-keys.js";
import { StoreSaturatedError, type LimitRequest } from "../../src/otp/store/store.js";
import { DEFAULT_LIMITS } from "../helpers/limits.js";
import { manualClock } from "./fixtures.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const KB = 1024;
const MB = KB * KB;
/** What a heap reading may be off by whatever the store holds (the collector's state, the reading's own objects). */
const NOISE = 64 * KB;
/**
 * V8's spaces for compiled code and what goes with it (bytecode, deoptimization data, in "trusted" space since
 * V8 12). The store keeps nothing there, but V8 optimises the store's functions again while a long measurement runs:
 * on Node 24 and 26 that added 55 to 75 KB of code to the reading (on 22, 16 KB), beyond the noise above, and the
 * accounting missed by 6 KB. Measured per space with `getHeapSpaceStatistics` on 22.23, 24.22 and 26.12.
 */
const CODE_SPACES = /^(?:shared_)?(?:code|trusted)(?:_large_object)?_space$/;

const cap = (key: string, max = 5): LimitRequest => ({
  cooldown: null,
  caps: [{ name: "destination", key, max, keep: max, windowMs: HOUR }],
});

function challenge(id: string, sentAt: number): Challenge {
  return {
    id,
    provider: "PHONE",
    destinationHint: "******3210",
    sentAt: new Date(sentAt),
    expiresAt: null,
    resendAvailableAt: new Date(sentAt + 30_000),
    attemptsAllowed: null,
    providerMessage: "request processed successfully",
    providerReference: null,
  };
}

/** Fill `store` with hourly counters until it refuses one; answers how many it took. */
async function fill(store: MemoryStore, prefix: string): Promise<number> {
  for (let index = 0; ; index++) {
    try {
      await store.consumeLimits(cap(`${prefix}:${index}`));
    } catch (error) {
      expect(error).toBeInstanceOf(StoreSaturatedError);
      return index;
    }
  }
}

describe("memory store bound", () => {
  it("when full of live entries, refuses a new one with the time until the oldest expires, and forgets none", async () => {
    const clock = manualClock();
    const store = new MemoryStore({ maxBytes: 64 * KB, now: clock.now });
    expect(await store.consumeLimits(cap("capped", 1))).toMatchObject({ allowed: true });
    clock.advance(MINUTE);
    const admitted = await fill(store, "flood");
    expect(admitted).toBeGreaterThan(100);

    // Refused: the oldest entry ("capped") expires 59 minutes from now.
    await expect(store.consumeLimits(cap("one more"))).rejects.toMatchObject({
      name: "StoreSaturatedError",
      retryAfterMs: 59 * MINUTE,
    });
    // A claim takes less room than a new counter (which needs its table to grow): claims fill what is left.
    let claimed = 0;
    const refusal = await (async () => {
      for (; claimed < 10_000; claimed++)
        await store.claimIdempotency(`new key ${claimed}`, "fp", "token", 30);
    })().catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(StoreSaturatedError);
    // Every live entry is still there: the capped key is still capped, each flood key still counts.
    expect(await store.consumeLimits(cap("capped", 1))).toMatchObject({
      allowed: false,
      limit: "destination",
      retryAfterMs: 59 * MINUTE,
    });
    expect(await store.consumeLimits(cap("flood:0", 1))).toMatchObject({ allowed: false });
    expect(store.usage().usedBytes).toBeLessThanOrEqual(64 * KB);
  });

  it("expired entries go first: once they expire, new entries fit again", async () => {
    const clock = manualClock();
    const store = new MemoryStore({ maxBytes: 64 * KB, now: clock.now });
    // Entries that live 30 s (a cooldown alone) fill the store...
    let admitted = 0;
    for (; ; admitted++) {
      const request: LimitRequest = { cooldown: { key: `short:${admitted}`, ms: 30_000 }, caps: [] };
      const refused = await store.consumeLimits(request).catch((error: unknown) => error);
      if (refused instanceof StoreSaturatedError) break;
    }
    // The hourly counters (a table of their own) take the room left, then are refused until the first expire.
    let hourly = 0;
    const refusal = await (async () => {
      for (; hourly < 10_000; hourly++) await store.consumeLimits(cap(`first hour:${hourly}`));
    })().catch((error: unknown) => error);
    expect(refusal).toMatchObject({ name: "StoreSaturatedError", retryAfterMs: 30_000 });
    clock.advance(30_000);
    // ...and go, all of them, when they expire: as many new ones fit as before.
    const filled = hourly + (await fill(store, "hourly"));
    expect(filled).toBeGreaterThanOrEqual(admitted * 0.6);
    expect(store.usage().counters).toBe(filled);
  });

  it("keeps what follows a send even when full: the challenge and the first answer of its key", async () => {
    const clock = manualClock();
    const store = new MemoryStore({ maxBytes: 64 * KB, now: clock.now });
    expect(await store.claimIdempotency("key", "fp", "token", 30)).toBeNull();
    await fill(store, "flood");
    const sent = challenge("sent-while-full", clock.now());
    await store.saveChallenge(sent, 3600);
    const outcome = { kind: "OtpSent" as const, challenge: sent, devOtp: null };
    await store.completeIdempotency("key", "token", outcome, 86_400);
    expect(await store.loadChallenges([sent.id])).toEqual([sent]);
    expect(await store.claimIdempotency("key", "fp", "other", 30)).toEqual({ fingerprint: "fp", outcome });
    // The headroom kept for such writes is an eighth of a small bound: they stay within it.
    expect(store.usage().usedBytes).toBeLessThanOrEqual(64 * KB);
  });
});

describe("memory store size", () => {
  // A full collection before each reading, so the heap holds what the store keeps and no garbage.
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  // The store's tables and records are in buffers outside the JS heap: both are read, the heap without its code.
  const heapUsed = () => {
    gc();
    gc();
    let heap = 0;
    for (const space of getHeapSpaceStatistics()) {
      if (!CODE_SPACES.test(space.space_name)) heap += space.space_used_size;
    }
    return heap + process.memoryUsage().arrayBuffers;
  };
  const policy: LimitPolicy = DEFAULT_LIMITS;

  /** `sends` sends with distinct destinations, devices and networks, each with its challenge (and its record). */
  async function sendAll(store: MemoryStore, sends: number, withKeys: boolean): Promise<void> {
    const clock = manualClock();
    const keys = StateKeys.random();
    for (let index = 0; index < sends; index++) {
      const subject = {
        provider: "PHONE" as const,
        destination: `+9198${String(index).padStart(8, "0")}`,
        // Not a phone here: this counts what one destination, device and network cost (no number range).
        phone: null,
        country: null,
        device: `device-${index}`,
        clientIp: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`,
      };
      await store.consumeLimits(limitRequest(policy, subject, keys));
      const sent = challenge(randomBytes(18).toString("base64url"), clock.now());
      await store.saveChallenge(sent, 3600);
      if (withKeys) {
        const key = keys.key("idempotency", String(index));
        await store.claimIdempotency(key, keys.key("fingerprint", String(index)), "token", 30);
        await store.completeIdempotency(
          key,
          "token",
          { kind: "OtpSent", challenge: sent, devOtp: null },
          86_400,
        );
      }
      clock.advance(10);
    }
  }

  /** What `sends` sends add to the heap and the buffers, against what the store counts. */
  async function measure(sends: number, withKeys: boolean) {
    // The store's code compiled and its one-off tables filled first, so the reading is the state alone.
    await sendAll(new MemoryStore({ maxBytes: 256 * MB }), 5_000, withKeys);
    const store = new MemoryStore({ maxBytes: 256 * MB, now: manualClock().now });
    const before = heapUsed();
    await sendAll(store, sends, withKeys);
    return { grown: heapUsed() - before, usage: store.usage() };
  }

  it("counts at least the memory its entries take, and 100 000 distinct destinations take under 32 MB", async () => {
    const sends = 100_000;
    const { grown, usage } = await measure(sends, false);
    const { usedBytes, counters, challenges } = usage;
    // One entry per destination (its cooldown and its cap), one per device and per network, one challenge.
    expect({ counters, challenges }).toEqual({ counters: 3 * sends, challenges: sends });
    // (Less the reading's own noise, some tens of KB of compiled code and collector state either way.)
    expect(usedBytes).toBeGreaterThanOrEqual(grown - NOISE);
    // ...and not far above it, so the capacity it reports is not understated either.
    expect(usedBytes).toBeLessThan(grown * 1.5);
    expect(grown).toBeLessThan(32 * MB);
  });

  it("counts at least the memory idempotency records take", async () => {
    const sends = 50_000;
    const { grown, usage } = await measure(sends, true);
    expect(usage.idempotency).toBe(sends);
    expect(usage.usedBytes).toBeGreaterThanOrEqual(grown - NOISE);
    expect(usage.usedBytes).toBeLessThan(grown * 1.5);
  });

  it("reports what one send costs and the sends an hour a bound keeps", async () => {
    const capacity = await memoryCapacity(256 * MB, policy);
    expect(capacity.bytesPerSend).toBeGreaterThan(100);
    expect(capacity.bytesPerSend).toBeLessThan(400);
    expect(capacity.sendsPerHour).toBe(Math.floor((256 * MB - 4 * MB) / capacity.bytesPerSend));
    expect(capacity.sendsPerHourWithKeys).toBeLessThan(capacity.sendsPerHour / 10);
  });
});
