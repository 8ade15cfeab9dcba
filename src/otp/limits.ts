import { isIPv4, isIPv6 } from "node:net";
import type { ProviderId, RateLimited } from "./model.js";
import type { StateKeys } from "./store/state-keys.js";
import type { CapRule, LimitRequest, OtpStore } from "./store/store.js";

/** The local policy (CONTRACT.md settings). 0 turns a limit off. */
export interface LimitPolicy {
  cooldownSeconds: number;
  maxPerDestinationPerHour: number;
  maxPerDevicePerHour: number;
  maxPerIpPerHour: number;
}

/** Who a send goes to and comes from. */
export interface SendSubject {
  provider: ProviderId;
  /** The adapter's normalised destination key (a phone number, a PAN, a GSTIN). */
  destination: string;
  device: string | null;
  clientIp: string | null;
  /** A value the provider takes once within `seconds` (see `SingleUse`); counted like a cap of one. */
  singleUse?: { value: string; seconds: number } | null;
}

/** The name under which a repeated single-use value is refused. */
export const SINGLE_USE_LIMIT = "singleUse";

const HOUR_MS = 60 * 60 * 1000;

/** What the user is told for each limit; safe to show, no key or count in it. */
const MESSAGES: Record<string, string> = {
  cooldown: "An OTP was just sent to this destination. Please wait before asking for another.",
  destination: "Too many OTPs were requested for this destination. Please try again later.",
  device: "Too many OTPs were requested from this device. Please try again later.",
  ip: "Too many OTP requests from this network. Please try again later.",
  saturated: "The service is receiving too many OTP requests. Please try again later.",
};

/**
 * The local limits, checked after validation and before any upstream call: a cooldown and an hourly cap per
 * destination (per provider), an hourly cap per device and per client IP. Every send that passes is counted,
 * whatever the provider answers, since it may have sent an SMS even when it timed out.
 */
export class LocalLimits {
  readonly #policy: LimitPolicy;
  readonly #store: OtpStore;
  readonly #keys: StateKeys;

  constructor(policy: LimitPolicy, store: OtpStore, keys: StateKeys) {
    this.#policy = policy;
    this.#store = store;
    this.#keys = keys;
  }

  /**
   * Count one send, or answer why not: `RateLimited`, or {@link SINGLE_USE_LIMIT} for a repeated single-use
   * value. Rejects with `StoreUnavailableError` when the store is away.
   */
  async consume(subject: SendSubject): Promise<RateLimited | typeof SINGLE_USE_LIMIT | null> {
    const request = limitRequest(this.#policy, subject, this.#keys);
    if (!request.cooldown && request.caps.length === 0) return null;
    const decision = await this.#store.consumeLimits(request);
    if (decision.allowed) return null;
    if (decision.limit === SINGLE_USE_LIMIT) return SINGLE_USE_LIMIT;
    return localRefusal(subject.provider, decision.limit, decision.retryAfterMs);
  }
}

/**
 * The answer to a send the local policy refused: by one of the limits, or `saturated` when the store is full of
 * live state and cannot count one more send.
 */
export function localRefusal(provider: ProviderId, limit: string, retryAfterMs: number): RateLimited {
  return {
    kind: "RateLimited",
    provider,
    providerCode: null,
    retryable: true,
    limitedBy: "LOCAL_POLICY",
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
    message: MESSAGES[limit] ?? "Too many OTP requests. Please try again later.",
  };
}

/** The store request for one send: only the limits that are on, keyed by HMACs of the values. */
export function limitRequest(policy: LimitPolicy, subject: SendSubject, keys: StateKeys): LimitRequest {
  const destination = keys.key("destination", `${subject.provider}\0${subject.destination}`);
  const caps: CapRule[] = [];
  const cap = (name: string, key: () => string | null, max: number) => {
    const hashed = max > 0 ? key() : null;
    if (hashed !== null) caps.push({ name, key: `${name}:${hashed}`, max, windowMs: HOUR_MS });
  };
  const hashed = (name: string, value: string | null) =>
    value === null || value === "" ? null : keys.key(name, value);
  cap("destination", () => destination, policy.maxPerDestinationPerHour);
  cap("device", () => hashed("device", subject.device), policy.maxPerDevicePerHour);
  cap(
    "ip",
    () => hashed("ip", subject.clientIp === null ? null : clientNetwork(subject.clientIp)),
    policy.maxPerIpPerHour,
  );
  const { singleUse } = subject;
  if (singleUse) {
    const key = keys.key(SINGLE_USE_LIMIT, `${subject.provider}\0${singleUse.value}`);
    caps.push({
      name: SINGLE_USE_LIMIT,
      key: `${SINGLE_USE_LIMIT}:${key}`,
      max: 1,
      windowMs: singleUse.seconds * 1000,
    });
  }
  return {
    // Under the destination cap's key: the memory store keeps both in one entry.
    cooldown:
      policy.cooldownSeconds > 0
        ? { key: `destination:${destination}`, ms: policy.cooldownSeconds * 1000 }
        : null,
    caps,
  };
}

/**
 * What the per-IP cap counts on: an IPv4 address (also when written IPv4-mapped), or an IPv6 /64, since one
 * subscriber usually holds a whole /64 and could otherwise rotate through it.
 */
export function clientNetwork(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) return mapped[1];
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  return `${expandIPv6(ip).slice(0, 4).join(":")}::/64`;
}

function expandIPv6(ip: string): string[] {
  const [head = "", tail] = ip.split("%")[0]?.split("::") ?? [""];
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const fill = Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0");
  return [...left, ...fill, ...right].map((group) => group.toLowerCase().replace(/^0+(?=.)/, ""));
}
