/**
 * The limit rules as a pure function: times in, a refusal (or none) and what a key keeps out, the clock passed in.
 * `test/state/store-model.test.ts` checks that the memory store (which runs these) and Redis's Lua agree.
 */
import { describe, expect, it } from "vitest";
import { judgeKey, keptAfter, rulesByKey } from "../../src/otp/store/limit-rules.js";
import type { CapRule, LimitRequest } from "../../src/otp/store/store.js";

const HOUR = 3_600_000;
const cap = (name: CapRule["name"], key: string, max: number, keep = max): CapRule => ({
  name,
  key,
  max,
  keep,
  windowMs: HOUR,
});

describe("the limit rules", () => {
  const request: LimitRequest = {
    cooldown: { key: "destination:a", ms: 30_000 },
    caps: [cap("destination", "destination:a", 2), cap("ip", "ip:1", 3, 5)],
  };
  const [destination, ip] = rulesByKey(request);

  it("group a send's limits by key: the cooldown shares the destination cap's entry", () => {
    expect(destination).toMatchObject({ key: "destination:a", cooldownMs: 30_000, ttlMs: HOUR, keep: 2 });
    expect(ip).toMatchObject({ key: "ip:1", cooldownMs: 0, keep: 5 });
  });

  it("refuse within the cooldown, until it is over", () => {
    if (!destination) throw new Error("no rule");
    const now = 1_000_000;
    expect(judgeKey(destination, [now - 29_999], now, null, request.caps)).toEqual({
      allowed: false,
      limit: "cooldown",
      retryAfterMs: 1,
    });
    expect(judgeKey(destination, [now - 30_000], now, null, request.caps)).toBeNull();
  });

  it("refuse at a cap until its max-th newest send in the window leaves it", () => {
    if (!destination) throw new Error("no rule");
    const now = 10 * HOUR;
    const refused = judgeKey(
      destination,
      [now - HOUR, now - HOUR + 10, now - 60_000],
      now,
      null,
      request.caps,
    );
    // One send is already out of the window: the two in it refuse until the older of them leaves it.
    expect(refused).toEqual({ allowed: false, limit: "destination", retryAfterMs: 10 });
  });

  it("of equal waits, name the first limit in the request, whichever key is judged first", () => {
    if (!destination || !ip) throw new Error("no rule");
    const now = 10 * HOUR;
    // The IP cap and the cooldown both end in 10 s.
    const byIp = judgeKey(
      ip,
      [now - HOUR + 10_000, now - HOUR + 11_000, now - HOUR + 12_000],
      now,
      null,
      request.caps,
    );
    expect(byIp).toMatchObject({ limit: "ip", retryAfterMs: 10_000 });
    expect(judgeKey(destination, [now - 20_000], now, byIp, request.caps)).toMatchObject({
      limit: "cooldown",
      retryAfterMs: 10_000,
    });
  });

  it("keep the latest `keep` times with the new one, or the new time alone", () => {
    if (!destination || !ip) throw new Error("no rule");
    expect(keptAfter(ip, [1, 2, 3, 4, 5], 6)).toEqual([2, 3, 4, 5, 6]);
    expect(keptAfter(ip, undefined, 6)).toBe(6);
    expect(keptAfter({ ...destination, keep: 1 }, [1], 6)).toBe(6);
  });
});
