/**
 * The limit rules, written once: whether one send may go, given the times already counted under its keys, and
 * what each key keeps once it is counted. Pure: no I/O, no state, the clock passed in as `now`.
 *
 * - A cooldown refuses while the latest send under its key (or its previous form, during a state secret rotation)
 *   is less than `ms` ago, until it is.
 * - A cap refuses while `max` (> 0) sends under its key and its previous form are within its window, until the
 *   `max`-th newest of them leaves it. `max` 0 only counts.
 * - A refused send names the refusal that lasts longest (only once it is over do all the limits allow a send); of
 *   equal waits, the first in the request: the cooldown, then the caps in their order.
 * - An allowed send is counted under every key (never under a previous form); a key keeps its `keep` latest times.
 *
 * The memory store runs these functions on the times its counter tables hold. The Lua script `CONSUME_LIMITS` in
 * `redis.ts` implements the same rules on sorted sets (atomically, in Redis); the model test
 * (`test/state/store-model.test.ts`) drives both stores with the same random histories and requires the same
 * answers, so a change to one must be made to the other.
 */
import type { CapRule, LimitDecision, LimitName, LimitRequest } from "./store.js";

/** One key of a send's limits: the cooldown and the caps counted under it, judged on one list of times. */
export interface KeyRules {
  key: string;
  /** The key under the previous state secret, during a rotation: its times count too, read only. */
  previousKey?: string;
  /** How long the key's times matter after its last send: the longest window or cooldown on the key. */
  ttlMs: number;
  /** How many send times to keep: the largest cap's `keep` (1 for a cooldown alone). */
  keep: number;
  /** 0 when the key holds no cooldown. */
  cooldownMs: number;
  caps: CapRule[];
}

/** Why a send is refused: the limit, and how long until it allows the send. */
export type Refusal = Extract<LimitDecision, { allowed: false }>;

/** A send's limits grouped by key, in the order their keys first appear (the caps', then the cooldown's). */
export function rulesByKey(request: LimitRequest): KeyRules[] {
  const rules: KeyRules[] = [];
  /** The rules of a cap's or the cooldown's key, made (empty) on its first appearance. */
  const ruleOf = (ref: { key: string; previousKey?: string }): KeyRules => {
    const found = rules.find((rule) => rule.key === ref.key);
    if (found) return found;
    const rule: KeyRules = {
      key: ref.key,
      ...(ref.previousKey !== undefined && { previousKey: ref.previousKey }),
      ttlMs: 0,
      keep: 1,
      cooldownMs: 0,
      caps: [],
    };
    rules.push(rule);
    return rule;
  };
  for (const cap of request.caps) {
    const rule = ruleOf(cap);
    rule.caps.push(cap);
    rule.ttlMs = Math.max(rule.ttlMs, cap.windowMs);
    rule.keep = Math.max(rule.keep, cap.keep);
  }
  const { cooldown } = request;
  if (cooldown) {
    const rule = ruleOf(cooldown);
    rule.cooldownMs = cooldown.ms;
    rule.ttlMs = Math.max(rule.ttlMs, cooldown.ms);
  }
  return rules;
}

/**
 * The refusal that lasts longest of `worst` (what the send's other keys refused, or null) and this key's rules,
 * judged on `live`: the key's times within its `ttlMs` and its previous form's, oldest first. `caps`: the request's,
 * whose order settles a tie. Allocates only when this key refuses longer.
 */
export function judgeKey(
  rule: KeyRules,
  live: readonly number[],
  now: number,
  worst: Refusal | null,
  caps: readonly CapRule[],
): Refusal | null {
  let refusal = worst;
  const last = live[live.length - 1];
  if (rule.cooldownMs > 0 && last !== undefined && last + rule.cooldownMs > now) {
    refusal = longer(refusal, "cooldown", last + rule.cooldownMs - now, caps);
  }
  for (const cap of rule.caps) {
    // max 0: the rule only counts (for recentCounts), it never refuses.
    if (cap.max <= 0 || countWithin(live, cap.windowMs, now) < cap.max) continue;
    const oldest = live[live.length - cap.max] ?? now;
    refusal = longer(refusal, cap.name, oldest + cap.windowMs - now, caps);
  }
  return refusal;
}

/** `refusal`, or this one when it lasts longer (or as long, and comes first in the request). */
function longer(
  refusal: Refusal | null,
  limit: LimitName,
  retryAfterMs: number,
  caps: readonly CapRule[],
): Refusal {
  if (
    refusal === null ||
    retryAfterMs > refusal.retryAfterMs ||
    (retryAfterMs === refusal.retryAfterMs && orderOf(limit, caps) < orderOf(refusal.limit, caps))
  ) {
    return { allowed: false, limit, retryAfterMs };
  }
  return refusal;
}

/** A limit's place in its request: the cooldown first, then the caps (two of one name answer alike). */
function orderOf(limit: LimitName, caps: readonly CapRule[]): number {
  return limit === "cooldown" ? -1 : caps.findIndex((cap) => cap.name === limit);
}

/**
 * What a key holds once a send at `now` is counted: `now` alone, or (a cap keeping several, over times already
 * held) its latest `keep - 1` times and `now`. `own`: the times it held within its `ttlMs`; undefined for none.
 */
export function keptAfter(
  rule: KeyRules,
  own: readonly number[] | undefined,
  now: number,
): number | number[] {
  return rule.keep > 1 && own !== undefined ? [...own.slice(-(rule.keep - 1)), now] : now;
}

/** The times within `windowMs` of `now`: how many sends a counter holds in its window. */
export function countWithin(times: readonly number[], windowMs: number, now: number): number {
  let count = 0;
  for (const time of times) if (time > now - windowMs) count += 1;
  return count;
}

/** Two ascending lists of times as one. */
export function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const merged: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    merged.push(
      j >= b.length || (i < a.length && (a[i] ?? 0) <= (b[j] ?? 0)) ? (a[i++] ?? 0) : (b[j++] ?? 0),
    );
  }
  return merged;
}
