/**
 * Idempotency keys scoped to the request's destination, and duplicates that wait for the first without polling:
 * on its promise in one process, on the store's notice across replicas (counted store calls, not time), a bounded
 * number of them on one key, each wait counted against the IP cap. In memory and in Redis.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import type { OtpOutcome } from "../../src/otp/model.js";
import { MAX_WAITERS_PER_KEY } from "../../src/otp/idempotency.js";
import type { OtpStore } from "../../src/otp/store/store.js";
import { uniquePrefix } from "../helpers/redis.js";
import { json, startUpstream, type Upstream } from "../helpers/upstream.js";
import { phoneRequest, backends, manualClock, phoneService, type ManualClock } from "./fixtures.js";

const redisUrl = inject("redisUrl");
const SENT = json(200, { success: true, message: "request processed successfully", data: { otp: 246810 } });

let upstream: Upstream;
/** While set, the upstream holds its answers until released (a slow provider). */
let gate: Promise<void> | null = null;
beforeAll(async () => {
  upstream = await startUpstream(async (request, res, req) => {
    await gate;
    await SENT(request, res, req);
  });
});
afterAll(() => upstream.close());

function holdUpstream(): () => void {
  let release: () => void = () => undefined;
  gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return () => {
    gate = null;
    release();
  };
}

/** A store whose calls are counted by method. */
function counted(store: OtpStore): { store: OtpStore; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const proxy = new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls[String(property)] = (calls[String(property)] ?? 0) + 1;
        return (value as (...params: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

/** Resolves once `condition` holds, looking after each turn of the event loop. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

const challengeId = (outcome: OtpOutcome) =>
  outcome.kind === "OtpSent" ? outcome.challenge.id : outcome.kind;

for (const backend of backends(redisUrl)) {
  describe.skipIf(backend.skip)(`idempotency keys and waits (${backend.name} store)`, () => {
    let clock: ManualClock;
    let prefix: string;
    const stores: OtpStore[] = [];
    const store = () => {
      const made = backend.make(clock.now, prefix);
      stores.push(made);
      return made;
    };
    beforeEach(() => {
      clock = manualClock();
      prefix = uniquePrefix("idempotency-waits");
      upstream.requests.length = 0;
    });
    afterEach(async () => {
      gate = null;
      await Promise.all(stores.splice(0).map((each) => each.close()));
    });
    const service = (
      over: { store?: OtpStore; limits?: Parameters<typeof phoneService>[0]["limits"] } = {},
    ) =>
      phoneService({
        baseUrl: upstream.url,
        store: over.store ?? store(),
        clock,
        sandbox: true,
        limits: { maxPerIpPerHour: 0, ...over.limits },
      });
    const from = (ip: string, idempotencyKey: string) => ({ clientIp: ip, idempotencyKey });

    it("one guessable key, two destinations: both send, neither sees the other's answer", async () => {
      const otp = service();
      const attacker = await otp.requestOtp(
        phoneRequest(101, "attacker"),
        from("203.0.113.66", "order-1001"),
      );
      const victim = await otp.requestOtp(phoneRequest(202, "victim"), from("198.51.100.5", "order-1001"));
      expect(attacker).toMatchObject({ kind: "OtpSent", devOtp: "246810" });
      expect(victim).toMatchObject({
        kind: "OtpSent",
        devOtp: "246810",
        challenge: { destinationHint: expect.stringMatching(/0202$/) as unknown },
      });
      expect(challengeId(victim)).not.toBe(challengeId(attacker));
      expect(upstream.requests).toHaveLength(2);
      // Each replays its own answer, not the other's.
      const again = await otp.requestOtp(phoneRequest(202, "victim"), from("198.51.100.5", "order-1001"));
      expect(challengeId(again)).toBe(challengeId(victim));
      expect(upstream.requests).toHaveLength(2);
    });

    it("a duplicate on another replica waits for the store's notice: two claims, however long the first takes", async () => {
      const first = service();
      // Another replica: its own use case, on its own connection to the same store (Redis), or the same store.
      const other = counted(backend.shared ? store() : (stores[0] ?? store()));
      const second = service({ store: other.store });
      const release = holdUpstream();
      const sending = first.requestOtp(phoneRequest(303), from("198.51.100.9", "wait-key"));
      await until(() => upstream.requests.length === 1);
      const waiting = second.requestOtp(phoneRequest(303), from("198.51.100.9", "wait-key"));
      await until(() => (other.calls.claimIdempotency ?? 0) >= 1);
      // Long enough that a 20 Hz poll would have read the store several times.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(other.calls.claimIdempotency).toBe(1);
      release();
      const [sent, replayed] = await Promise.all([sending, waiting]);
      expect(replayed).toEqual({ ...sent, devOtp: null });
      expect(other.calls.claimIdempotency).toBe(2);
      expect(upstream.requests).toHaveLength(1);
    });

    it("duplicates in one process wait on the first's promise, with no store call at all", async () => {
      const { store: watched, calls } = counted(store());
      const otp = service({ store: watched });
      const release = holdUpstream();
      const sending = otp.requestOtp(phoneRequest(404), from("198.51.100.10", "local-key"));
      await until(() => upstream.requests.length === 1);
      const before = { ...calls };
      const duplicates = Array.from({ length: 5 }, () =>
        otp.requestOtp(phoneRequest(404), from("198.51.100.10", "local-key")),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      release();
      const sent = await sending;
      for (const outcome of await Promise.all(duplicates)) expect(outcome).toEqual({ ...sent, devOtp: null });
      // The first's completion only: the duplicates read nothing from the store.
      expect(calls.claimIdempotency).toBe(before.claimIdempotency);
      expect(calls.watchIdempotency).toBe(before.watchIdempotency);
    });

    it(`at most ${MAX_WAITERS_PER_KEY} duplicates wait on one key; the rest are told to try again shortly`, async () => {
      const otp = service();
      const release = holdUpstream();
      const sending = otp.requestOtp(phoneRequest(505), from("198.51.100.11", "busy-key"));
      await until(() => upstream.requests.length === 1);
      const duplicates = Array.from({ length: MAX_WAITERS_PER_KEY + 4 }, () =>
        otp.requestOtp(phoneRequest(505), from("198.51.100.11", "busy-key")),
      );
      await new Promise((resolve) => setImmediate(resolve));
      release();
      const sent = await sending;
      const outcomes = await Promise.all(duplicates);
      expect(outcomes.filter((outcome) => challengeId(outcome) === challengeId(sent))).toHaveLength(
        MAX_WAITERS_PER_KEY,
      );
      const refused = outcomes.filter((outcome) => outcome.kind === "ProviderUnavailable");
      expect(refused).toHaveLength(4);
      expect(refused[0]).toEqual({
        kind: "ProviderUnavailable",
        provider: "PHONE",
        providerCode: null,
        retryable: true,
        retryAfterSeconds: 1,
        message: "The first request with this idempotency key is still running. Please try again shortly.",
      });
      expect(upstream.requests).toHaveLength(1);
    });

    it("a wait counts against the IP cap: past it, a duplicate is RateLimited instead of waiting", async () => {
      const otp = service({ limits: { maxPerIpPerHour: 5 } });
      const release = holdUpstream();
      // The send counts 1 against the IP; four waits make 5; the other six are refused.
      const sending = otp.requestOtp(phoneRequest(606), from("198.51.100.12", "counted-key"));
      await until(() => upstream.requests.length === 1);
      const duplicates = Array.from({ length: 10 }, () =>
        otp.requestOtp(phoneRequest(606), from("198.51.100.12", "counted-key")),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      release();
      const sent = await sending;
      const outcomes = await Promise.all(duplicates);
      expect(outcomes.filter((outcome) => challengeId(outcome) === challengeId(sent))).toHaveLength(4);
      expect(outcomes.filter((outcome) => outcome.kind === "RateLimited")).toHaveLength(6);
      // A replay of a finished key is not a wait, and stays free.
      expect(challengeId(await otp.requestOtp(phoneRequest(606), from("198.51.100.12", "counted-key")))).toBe(
        challengeId(sent),
      );
    });
  });
}
