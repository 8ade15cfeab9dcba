import type { LimitPolicy } from "../../src/otp/limits.js";
import { OtpService, type OtpServiceOptions } from "../../src/otp/otp-service.js";
import { MemoryStore } from "../../src/otp/store/memory.js";
import { RedisStore } from "../../src/otp/store/redis.js";
import { StateKeys } from "../../src/otp/store/state-keys.js";
import type { OtpStore } from "../../src/otp/store/store.js";
import { UpstreamClient } from "../../src/providers/http-client.js";
import { providerRequest } from "../../src/graphql/request-otp-input.js";
import type { ProviderAdapter, ProviderAdapters, ProviderRequest } from "../../src/otp/ports.js";
import { phone } from "../../src/providers/phone/index.js";
import { DEFAULT_LIMITS } from "../helpers/limits.js";
import { uniquePrefix } from "../helpers/redis.js";

/** A clock the tests move by hand: limits and expiry never wait on wall time. */
export interface ManualClock {
  now: () => number;
  advance: (ms: number) => void;
}

export function manualClock(start = Date.UTC(2026, 0, 1, 9, 0, 0)): ManualClock {
  let time = start;
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
  };
}

/**
 * The backends the state tests run against; Redis only when the run has a redis-server. Two Redis stores made
 * with one `keyPrefix` share their state, as two replicas do.
 */
export function backends(redisUrl: string | null) {
  return [
    {
      name: "memory",
      skip: false,
      shared: false,
      make: (now: () => number, _keyPrefix?: string): OtpStore => new MemoryStore({ now }),
    },
    {
      name: "redis",
      skip: redisUrl === null,
      shared: true,
      make: (now: () => number, keyPrefix = uniquePrefix("state")): OtpStore =>
        new RedisStore({ url: redisUrl ?? "", keyPrefix, now }),
    },
  ];
}

export const STATE_SECRET = "test-state-secret-of-at-least-32-chars";

/** The real use case with the real PHONE adapter, talking to a loopback upstream at `baseUrl`. */
export function phoneService(options: {
  baseUrl: string;
  store: OtpStore;
  clock: ManualClock;
  limits?: Partial<LimitPolicy>;
  sandbox?: boolean;
  /** More of the use case's options (phone policy, human verification, callbacks). */
  options?: Partial<OtpServiceOptions>;
}): OtpService {
  const http = new UpstreamClient({ timeoutMs: 2000, maxBodyBytes: 64 * 1024 });
  return new OtpService({
    adapters: adaptersOf([phone, phone.createAdapter({ baseUrl: options.baseUrl }, http)]),
    store: options.store,
    sandbox: options.sandbox ?? false,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    stateKeys: new StateKeys(STATE_SECRET),
    idempotencyLeaseSeconds: 10,
    now: () => new Date(options.clock.now()),
    ...options.options,
  });
}

/** A PHONE input for an Indian mobile number ending in `suffix`. */
export function phoneInput(suffix: string | number, deviceId = "device-1") {
  return { phone: { phone: `+9198${String(suffix).padStart(8, "0")}`, country: "IN", deviceId } };
}

/** {@link phoneInput} as the use case is asked it. */
export function phoneRequest(suffix: string | number, deviceId?: string): ProviderRequest {
  return asked(phoneInput(suffix, deviceId));
}

/** What the use case is asked for a `RequestOtpInput`: its member resolved as the resolver resolves it. */
export function asked(input: Readonly<Record<string, unknown>>): ProviderRequest {
  return providerRequest(input);
}

/** Adapters keyed by their provider's id, as `createAdapters` keys them. */
export function adaptersOf(
  ...entries: (readonly [provider: { id: string }, adapter: ProviderAdapter])[]
): ProviderAdapters {
  return new Map(entries.map(([provider, adapter]) => [provider.id, adapter]));
}
