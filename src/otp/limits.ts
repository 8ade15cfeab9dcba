import { isIPv4, isIPv6 } from "node:net";
import type { ProviderId, RateLimited } from "./model.js";
import type { StateKeys } from "./store/state-keys.js";
import type { CapName, CapRule, LimitName, LimitRequest, OtpStore } from "./store/store.js";
import { numberRange } from "./phone-policy.js";

/** The local policy (CONTRACT.md settings). 0 turns a limit off. */
export interface LimitPolicy {
  cooldownSeconds: number;
  maxPerDestinationPerHour: number;
  maxPerDevicePerHour: number;
  maxPerIpPerHour: number;
  /** Sends per number range (a phone without its last `rangeSuffixDigits` digits), all providers together. */
  maxPerRangePerHour: number;
  rangeSuffixDigits: number;
  /** A global budget per provider. */
  maxPerProviderPerHour: number;
  /** A global budget per country of phone destinations, all providers together. */
  maxPerCountryPerHour: number;
}

/** Who a send goes to and comes from. */
export interface SendSubject {
  provider: ProviderId;
  /** The adapter's normalised destination key (a phone number, a PAN, a GSTIN). */
  destination: string;
  /** The destination in E.164 when it is a phone, else null (no range, no country). */
  phone: string | null;
  /** The phone's country, from the number itself. */
  country: string | null;
  device: string | null;
  clientIp: string | null;
  /** A value the provider takes once within `seconds` (see `SingleUse`); counted like a cap of one. */
  singleUse?: { value: string; seconds: number } | null;
}

/**
 * A send the limits counted. `giveBack` undoes exactly its counts when it certainly did not go out: `all` (it never
 * reached the provider: cooldown, caps, range and budgets), or `singleUse` (the provider answered that no OTP went
 * out: only its single-use value, which the user may then use again). Never rejects: a count the store could not
 * give back stays (fails closed).
 */
export interface CountedSend {
  kind: "counted";
  giveBack(what: "all" | "singleUse"): Promise<void>;
}

/** The limits that refuse a send as `RateLimited` (a repeated single-use value is `InvalidInput` instead). */
export type RefusingLimit = Exclude<LimitName, "singleUse">;

/** A limit refused the send: its name, and the answer. */
export interface LimitRefusal {
  kind: "refused";
  limit: RefusingLimit;
  outcome: RateLimited;
}

/** The send's single-use value was seen within its window: the input must change. */
export interface SingleUseRepeated {
  kind: "singleUseRepeated";
}

/** What {@link LocalLimits.consume} answers. */
export type LimitVerdict = CountedSend | LimitRefusal | SingleUseRepeated;

/** The limits whose refusals are global budgets: logged once per window, not per request. */
export type BudgetName = "provider" | "country";

/** A global budget was reached (reported once per window and budget). */
export interface BudgetReached {
  budget: BudgetName;
  provider: ProviderId;
  /** For the country budget; null for the provider budget. */
  country: string | null;
}

/** The dimensions adaptive human verification looks at. */
export type ActivityDimension = "device" | "ip" | "range";
/** The cap that holds single-use values. */
const SINGLE_USE_LIMIT = "singleUse" satisfies CapName;

const HOUR_MS = 60 * 60 * 1000;

/** The answer to a repeated single-use value (one object: it holds nothing of the send). */
const SINGLE_USE_REPEATED: SingleUseRepeated = { kind: "singleUseRepeated" };

/** A send with every limit off: nothing to give back. */
const NOTHING_COUNTED: CountedSend = { kind: "counted", giveBack: () => Promise.resolve() };

/** What the user is told for each limit; safe to show, no key or count in it. */
const MESSAGES: Record<RefusingLimit | "saturated", string> = {
  cooldown: "An OTP was just sent to this destination. Please wait before asking for another.",
  destination: "Too many OTPs were requested for this destination. Please try again later.",
  device: "Too many OTPs were requested from this device. Please try again later.",
  ip: "Too many OTP requests from this network. Please try again later.",
  range: "Too many OTPs were requested for numbers like this one. Please try again later.",
  provider: "This service is sending too many OTPs at the moment. Please try again later.",
  country: "Too many OTPs are being sent to this country at the moment. Please try again later.",
  saturated: "The service is receiving too many OTP requests. Please try again later.",
  verifier:
    "Too many attempts at the check that you are not a robot from this network. Please wait a minute and try again.",
};

/**
 * Which of a send's limits one call counts: `send` all of them; with a human proof, `proof` counts the caller's
 * own limits (device and IP, and the verifier's per-IP rate) before the verifier is asked, and `afterProof` the
 * rest (the destination's, the range, the budgets) once the proof passed, so a send with a proof counts once;
 * `wait` counts a duplicate of an idempotency key in flight against the IP cap, so waiting is not free.
 */
export type LimitStep = "send" | "proof" | "afterProof" | "wait";

/** The caller's own limits: a proof attempt counts against them like a send. */
const CALLER_LIMITS = new Set(["device", "ip"]);

/** The per-IP rate of calls to the human verifier counts over a minute. */
const VERIFIER_WINDOW_MS = 60 * 1000;

/**
 * The local limits, checked after validation and before any upstream call: a cooldown and an hourly cap per
 * destination (a phone's across every provider that sends to it), an hourly cap per device and per client IP.
 * Every send that passes is counted, whatever the provider answers, since it may have sent an SMS even when it
 * timed out; only a send that never reached the provider is given back ({@link CountedSend}).
 */
export class LocalLimits {
  readonly #policy: LimitPolicy;
  readonly #store: OtpStore;
  readonly #keys: StateKeys;
  readonly #options: LocalLimitsOptions;
  /** When each budget (by provider and country) was last reported, so it is reported once per window. */
  readonly #reportedUntil = new Map<string, number>();

  constructor(policy: LimitPolicy, store: OtpStore, keys: StateKeys, options: LocalLimitsOptions = {}) {
    this.#policy = policy;
    this.#store = store;
    this.#keys = keys;
    this.#options = options;
  }

  /**
   * Count one send, or answer why not: `RateLimited` with the refusing limit's name, or that its single-use value
   * was seen again. Rejects with `StoreUnavailableError` when the store is away.
   */
  async consume(
    subject: SendSubject,
    step: LimitStep = "send",
    /** `proof`: the human verifier's calls per client network and minute (0: off). */
    verifierPerMinute = 0,
  ): Promise<LimitVerdict> {
    const whole = limitRequest(this.#policy, subject, this.#keys, this.#options.keepActivity ?? 0);
    const request = stepRequest(whole, step, this.#verifierRate(subject, verifierPerMinute));
    if (!request.cooldown && request.caps.length === 0) return NOTHING_COUNTED;
    const decision = await this.#store.consumeLimits(request);
    if (decision.allowed) {
      const { receipt } = decision;
      const singleUse = request.caps.filter((cap) => cap.name === SINGLE_USE_LIMIT);
      return {
        kind: "counted",
        giveBack: async (what) => {
          const part = what === "all" ? request : { cooldown: null, caps: singleUse };
          if (part.caps.length === 0 && !part.cooldown) return;
          await this.#store.releaseLimits(part, receipt).catch(() => undefined);
        },
      };
    }
    const { limit } = decision;
    if (limit === SINGLE_USE_LIMIT) return SINGLE_USE_REPEATED;
    if (limit === "provider" || limit === "country") this.#reportBudget(limit, subject);
    return { kind: "refused", limit, outcome: localRefusal(subject.provider, limit, decision.retryAfterMs) };
  }

  /**
   * How many sends the device, the client network and the number range had in the last hour (only counted
   * where the subject has one; at most `keepActivity` of each are remembered). Reads, never counts.
   */
  async recentActivity(subject: SendSubject): Promise<Record<ActivityDimension, number>> {
    const request = limitRequest(this.#policy, subject, this.#keys, this.#options.keepActivity ?? 0);
    const rules = request.caps.filter((cap) => ACTIVITY.has(cap.name));
    const counts = rules.length === 0 ? [] : await this.#store.recentCounts(rules);
    const activity: Record<ActivityDimension, number> = { device: 0, ip: 0, range: 0 };
    rules.forEach((rule, index) => {
      activity[rule.name as ActivityDimension] = counts[index] ?? 0;
    });
    return activity;
  }

  /** The verifier's per-IP rate as a cap, or null when it is off or the client IP is unknown. */
  #verifierRate(subject: SendSubject, perMinute: number): CapRule | null {
    if (perMinute <= 0 || subject.clientIp === null) return null;
    const key = this.#keys.key("verifier", clientNetwork(subject.clientIp));
    return {
      name: "verifier",
      key: `verifier:${key}`,
      max: perMinute,
      keep: perMinute,
      windowMs: VERIFIER_WINDOW_MS,
    };
  }

  #reportBudget(budget: BudgetName, subject: SendSubject): void {
    const country = budget === "country" ? subject.country : null;
    const id = `${budget}\0${subject.provider}\0${country ?? ""}`;
    const now = (this.#options.now ?? Date.now)();
    if ((this.#reportedUntil.get(id) ?? 0) > now) return;
    this.#reportedUntil.set(id, now + HOUR_MS);
    this.#options.onBudgetReached?.({ budget, provider: subject.provider, country });
  }
}

/**
 * The answer to a send the local policy refused: by one of the limits, or `saturated` when the store is full of
 * live state and cannot count one more send.
 */
export function localRefusal(
  provider: ProviderId,
  limit: RefusingLimit | "saturated",
  retryAfterMs: number,
): RateLimited {
  return {
    kind: "RateLimited",
    provider,
    providerCode: null,
    retryable: true,
    limitedBy: "LOCAL_POLICY",
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
    message: MESSAGES[limit],
  };
}

export interface LocalLimitsOptions {
  /**
   * Remember at least this many recent sends per device, client network and number range, even where their
   * caps are off, for {@link LocalLimits.recentActivity} (adaptive human verification). 0: only the caps.
   */
  keepActivity?: number;
  /** Told once per window when a global budget (per provider, per country) refuses sends. */
  onBudgetReached?: (reached: BudgetReached) => void;
  /** The clock of the once-per-window reports. */
  now?: () => number;
}

const ACTIVITY = new Set<string>(["device", "ip", "range"] satisfies ActivityDimension[]);

/**
 * The store request for one send: only the limits that are on (and, with `keepActivity`, the device, network
 * and range counters adaptive verification reads), keyed by HMACs of the values.
 */
export function limitRequest(
  policy: LimitPolicy,
  subject: SendSubject,
  keys: StateKeys,
  keepActivity = 0,
): LimitRequest {
  /**
   * The store key of the counter `name` on `value`, and its form under the previous state secret during a
   * rotation: the one place a send's keys are derived.
   */
  const counterKey = (name: string, value: string) => {
    const previous = keys.previousKey(name, value);
    return {
      key: `${name}:${keys.key(name, value)}`,
      ...(previous !== undefined && { previousKey: `${name}:${previous}` }),
    };
  };
  const destination = destinationId(subject);
  /** The cooldown and the destination cap share one key, derived once (one HMAC, not two). */
  let destinationKey: ReturnType<typeof counterKey> | undefined;
  const keyOf = (name: CapName, value: string) =>
    name === "destination" ? (destinationKey ??= counterKey(name, value)) : counterKey(name, value);
  const caps: CapRule[] = [];
  /** A cap on a value (none when it is missing), only when the cap is on or activity is kept. */
  const cap = (name: CapName, value: () => string | null, max: number, keep = max) => {
    if (max <= 0 && keep <= 0) return;
    const counted = value();
    if (counted === null || counted === "") return;
    caps.push({
      name,
      ...keyOf(name, counted),
      max,
      keep: Math.max(max, keep),
      windowMs: HOUR_MS,
    });
  };
  const { phone, country } = subject;
  cap("destination", () => destination, policy.maxPerDestinationPerHour);
  cap("device", () => subject.device, policy.maxPerDevicePerHour, keepActivity);
  cap(
    "ip",
    () => (subject.clientIp === null ? null : clientNetwork(subject.clientIp)),
    policy.maxPerIpPerHour,
    keepActivity,
  );
  cap(
    "range",
    () => (phone === null ? null : numberRange(phone, policy.rangeSuffixDigits)),
    policy.maxPerRangePerHour,
    keepActivity,
  );
  cap("provider", () => subject.provider, policy.maxPerProviderPerHour);
  cap("country", () => country, policy.maxPerCountryPerHour);
  const { singleUse } = subject;
  if (singleUse) {
    caps.push({
      name: SINGLE_USE_LIMIT,
      ...counterKey(SINGLE_USE_LIMIT, `${subject.provider}\0${singleUse.value}`),
      max: 1,
      keep: 1,
      windowMs: singleUse.seconds * 1000,
    });
  }
  return {
    // Under the destination cap's key: the memory store keeps both in one entry.
    cooldown:
      policy.cooldownSeconds > 0
        ? { ...keyOf("destination", destination), ms: policy.cooldownSeconds * 1000 }
        : null,
    caps,
  };
}

/** The part of a send's limits that `step` counts (see {@link LimitStep}). */
function stepRequest(whole: LimitRequest, step: LimitStep, verifierRate: CapRule | null): LimitRequest {
  if (step === "send") return whole;
  if (step === "wait") return { cooldown: null, caps: whole.caps.filter((cap) => cap.name === "ip") };
  if (step === "afterProof") {
    return { cooldown: whole.cooldown, caps: whole.caps.filter((cap) => !CALLER_LIMITS.has(cap.name)) };
  }
  const caps = whole.caps.filter((cap) => CALLER_LIMITS.has(cap.name));
  return { cooldown: null, caps: verifierRate ? [...caps, verifierRate] : caps };
}

/**
 * Who receives a send, the same for the same handset whichever provider sends to it: a phone is its E.164 form
 * (PHONE's `+919876543210`, PAYTM's and DMT's `9876543210`), so its cooldown and caps count across providers; any
 * other destination (a GSTIN, a PAN) is its provider's own.
 */
export function destinationId(subject: Pick<SendSubject, "provider" | "destination" | "phone">): string {
  return subject.phone === null ? `${subject.provider}\0${subject.destination}` : `phone\0${subject.phone}`;
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
