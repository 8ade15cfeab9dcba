import { randomUUID } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";
import type { Challenge } from "../model.js";
import { packChallenge, unpackChallenge } from "./challenge-codec.js";
import { KeyWatchers } from "./key-watchers.js";
import {
  StoreSaturatedError,
  StoreUnavailableError,
  type CounterRef,
  type IdempotencyRecord,
  type IdempotencyWatch,
  type LimitDecision,
  type LimitReceipt,
  type LimitRequest,
  type OtpStore,
} from "./store.js";

/*
 * At maxmemory (with `noeviction`) Redis refuses a script's first write that needs room (SET, ZADD, HSET), and
 * lets a script that has already written go on (a script is atomic). So the scripts that admit new state read
 * first and make such a write their first: refused, they changed nothing and the send is refused too. The writes
 * that follow a send (its challenge, its idempotency outcome) start with a PEXPIRE, which needs no room, so they
 * go through: a send that was made keeps its answer. Reads (a replayed key, a capped destination) still work.
 */

/**
 * Check the cooldown and every cap, and count the send against all of them only when all allow it.
 * KEYS[1] = cooldown key, KEYS[2..] = cap keys (sorted sets of send times).
 * ARGV = now, member, cooldownMs, then name, max (0: counts only), windowMs, keep for each cap.
 * Times come from the caller's clock; TTLs only clean up. Answers {1} or {0, waitMs, limit}.
 */
const CONSUME_LIMITS = `
local now = tonumber(ARGV[1])
local cooldown = tonumber(ARGV[3])
local wait, limit = 0, ''
if cooldown > 0 then
  local last = tonumber(redis.call('GET', KEYS[1]))
  if last and last + cooldown > now then wait, limit = last + cooldown - now, 'cooldown' end
end
for i = 2, #KEYS do
  local at = 4 * i - 4
  local name, max, window = ARGV[at], tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
  local since = '(' .. (now - window)
  local count = redis.call('ZCOUNT', KEYS[i], since, '+inf')
  if max > 0 and count >= max then
    local oldest = redis.call('ZRANGEBYSCORE', KEYS[i], since, '+inf', 'WITHSCORES', 'LIMIT', count - max, 1)
    local w = tonumber(oldest[2]) + window - now
    if w > wait then wait, limit = w, name end
  end
end
if wait > 0 then return {0, wait, limit} end
if cooldown > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', cooldown) end
for i = 2, #KEYS do
  local at = 4 * i - 4
  redis.call('ZADD', KEYS[i], ARGV[1], ARGV[2])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - tonumber(ARGV[at + 2]))
  redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -1 - tonumber(ARGV[at + 3]))
  redis.call('PEXPIRE', KEYS[i], ARGV[at + 2])
end
return {1}
`;

/**
 * Give back one send's counts: its own member of each sorted set, and the cooldown it set (still holding its time;
 * a later send would have been refused by it). Nobody else's counts are touched. Needs no room (DEL and ZREM).
 * KEYS as for CONSUME_LIMITS. ARGV = the send's time, its member.
 */
const RELEASE_LIMITS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
for i = 2, #KEYS do redis.call('ZREM', KEYS[i], ARGV[2]) end
return 1
`;

/** KEYS = counters. ARGV = now, then windowMs for each. Answers the count of each within its window. */
const RECENT_COUNTS = `
local counts = {}
for i = 1, #KEYS do
  counts[i] = redis.call('ZCOUNT', KEYS[i], '(' .. (tonumber(ARGV[1]) - tonumber(ARGV[i + 1])), '+inf')
end
return counts
`;

/** KEYS[1] = record. ARGV = now, fingerprint, token, leaseMs. Answers nil when claimed, else {fp, outcome}. */
const CLAIM = `
local live = tonumber(redis.call('HGET', KEYS[1], 'until'))
if live and live > tonumber(ARGV[1]) then
  return {redis.call('HGET', KEYS[1], 'fp'), redis.call('HGET', KEYS[1], 'outcome')}
end
redis.call('HSET', KEYS[1], 'fp', ARGV[2], 'token', ARGV[3], 'until', tonumber(ARGV[1]) + tonumber(ARGV[4]))
redis.call('HDEL', KEYS[1], 'outcome')
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return nil
`;

/** KEYS[1] = record. ARGV = now, token, outcome, ttlMs. */
const COMPLETE = `
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[2] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('HSET', KEYS[1], 'outcome', ARGV[3], 'until', tonumber(ARGV[1]) + tonumber(ARGV[4]))
return 1
`;

/** KEYS[1] = challenge. ARGV = stored value, ttlMs. */
const SAVE_CHALLENGE = `
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
`;

/** KEYS[1] = record. ARGV = token. Deletes a pending claim made with that token. */
const RELEASE = `
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] and redis.call('HEXISTS', KEYS[1], 'outcome') == 0 then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/**
 * The one `maxmemory-policy` that never drops a live key: at `maxmemory` Redis refuses writes that need room
 * (the subgraph then refuses new sends) and keeps every key. Every key this store writes has a TTL, so the
 * `volatile-*` policies would evict live limits and idempotency records as `allkeys-*` do.
 */
export const SAFE_EVICTION_POLICY = "noeviction";

/** What a refusal at maxmemory tells the caller to wait: Redis does not say when keys will expire. */
const FULL_RETRY_AFTER_MS = 60_000;

/** How long calls made while the first connection is being opened wait for it. */
const FIRST_CONNECTION_WAIT_MS = 2000;

/**
 * The channel (under the key prefix) on which a replica announces that an idempotency key's pending claim ended
 * (completed or released); the message is the key, an HMAC. Every replica subscribes once and wakes its own
 * waiters on that key, so duplicates wait without polling.
 */
const IDEMPOTENCY_ENDED_CHANNEL = "idempotency-ended";
/** How long a watch waits for the subscription to be in place before its waiter relies on looking again. */
const SUBSCRIBE_WAIT_MS = 1000;

interface Scripts {
  otpConsumeLimits(numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  otpReleaseLimits(numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  otpRecentCounts(numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  otpClaim(key: string, ...args: (string | number)[]): Promise<unknown>;
  otpComplete(key: string, ...args: (string | number)[]): Promise<unknown>;
  otpRelease(key: string, token: string): Promise<unknown>;
  otpSaveChallenge(key: string, value: string, ttlMs: number): Promise<unknown>;
}

/** A stored challenge: when it expires by the store's clock, then the packed challenge. */
const EXPIRY_SEPARATOR = " ";

/** The sentinels that name the current primary of `name` (and the promoted replica after a failover). */
export interface SentinelConnection {
  sentinels: { host: string; port: number }[];
  name: string;
  /** The primary's and replicas' password. */
  password: string | null;
  /** The sentinels' own password. */
  sentinelPassword: string | null;
}

/** Where Redis is: one URL (`redis://`, `rediss://` for TLS; a managed primary endpoint), or Sentinel. */
export type RedisConnection = { url: string } | { sentinel: SentinelConnection };

export type RedisStoreOptions = RedisConnection & {
  /** Put before every key, so several deployments can share one Redis. */
  keyPrefix?: string;
  now?: () => number;
  /** Told when the connection is lost and found again (once per change, not per retry). */
  onConnectionChange?: (state: "up" | "down", error?: Error) => void;
};

/**
 * State shared by replicas in one Redis (standalone, not Cluster: a send's limit keys are used together).
 * Calls fail fast while Redis is away (no offline queue, one retry, a command timeout) and the client keeps
 * reconnecting, so the subgraph fails closed and recovers by itself.
 */
export class RedisStore implements OtpStore {
  readonly #redis: Redis & Scripts;
  readonly #prefix: string;
  readonly #now: () => number;
  /** Settles once the first connection is up; calls made before it wait for it (briefly), later ones never. */
  readonly #firstConnection: Promise<void>;
  #closing = false;
  /** The connection that listens for ended claims (made on the first watch), and its subscription. */
  #subscriber: Redis | null = null;
  #subscribed: Promise<void> | null = null;
  readonly #watchers = new KeyWatchers();

  constructor(options: RedisStoreOptions) {
    this.#prefix = options.keyPrefix ?? "otp:";
    this.#now = options.now ?? Date.now;
    const settings: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 2000,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 100, 1000),
    };
    const redis = (
      "url" in options
        ? new Redis(options.url, settings)
        : new Redis({
            ...settings,
            sentinels: options.sentinel.sentinels,
            name: options.sentinel.name,
            ...(options.sentinel.password !== null && { password: options.sentinel.password }),
            ...(options.sentinel.sentinelPassword !== null && {
              sentinelPassword: options.sentinel.sentinelPassword,
            }),
            // Asking the sentinels again on every reconnection finds the promoted replica; a failover
            // announced on a sentinel's +switch-master drops the connection to the old primary at once.
            sentinelRetryStrategy: (times) => Math.min(times * 100, 1000),
            failoverDetector: true,
          })
    ) as Redis & Scripts;
    redis.defineCommand("otpConsumeLimits", { lua: CONSUME_LIMITS });
    redis.defineCommand("otpReleaseLimits", { lua: RELEASE_LIMITS });
    redis.defineCommand("otpRecentCounts", { lua: RECENT_COUNTS });
    redis.defineCommand("otpClaim", { lua: CLAIM, numberOfKeys: 1 });
    redis.defineCommand("otpComplete", { lua: COMPLETE, numberOfKeys: 1 });
    redis.defineCommand("otpRelease", { lua: RELEASE, numberOfKeys: 1 });
    redis.defineCommand("otpSaveChallenge", { lua: SAVE_CHALLENGE, numberOfKeys: 1 });
    let state: "unknown" | "up" | "down" = "unknown";
    const change = (next: "up" | "down", error?: Error) => {
      if (state !== next && !this.#closing) options.onConnectionChange?.(next, error);
      state = next;
    };
    redis.on("ready", () => {
      change("up");
    });
    redis.on("error", (error: Error) => {
      change("down", error);
    });
    redis.on("close", () => {
      if (state === "up") change("down");
    });
    this.#redis = redis;
    this.#firstConnection = new Promise<void>((resolve) => {
      redis.once("ready", () => {
        resolve();
      });
      setTimeout(resolve, FIRST_CONNECTION_WAIT_MS).unref();
    });
  }

  async saveChallenge(challenge: Challenge, ttlSeconds: number): Promise<void> {
    const stored = `${this.#now() + ttlSeconds * 1000}${EXPIRY_SEPARATOR}${packChallenge(challenge)}`;
    await this.#call(() =>
      this.#redis.otpSaveChallenge(this.#key("challenge", challenge.id), stored, ttlSeconds * 1000),
    );
  }

  async loadChallenges(ids: readonly string[]): Promise<(Challenge | null)[]> {
    if (ids.length === 0) return [];
    const values = await this.#call(() => this.#redis.mget(ids.map((id) => this.#key("challenge", id))));
    const now = this.#now();
    return values.map((value) => {
      if (value === null) return null;
      const separator = value.indexOf(EXPIRY_SEPARATOR);
      const until = Number(value.slice(0, separator));
      return until <= now ? null : unpackChallenge(value.slice(separator + 1));
    });
  }

  async consumeLimits(request: LimitRequest): Promise<LimitDecision> {
    const keys = this.#limitKeys(request);
    const now = this.#now();
    const member = `${now}:${randomUUID()}`;
    const args = [now, member, request.cooldown?.ms ?? 0];
    for (const cap of request.caps) args.push(cap.name, cap.max, cap.windowMs, cap.keep);
    const reply = await this.#call(() => this.#redis.otpConsumeLimits(keys.length, ...keys, ...args));
    const [allowed, wait, limit] = reply as [number, number?, string?];
    return allowed === 1
      ? { allowed: true, receipt: member }
      : { allowed: false, limit: limit ?? "", retryAfterMs: wait ?? 0 };
  }

  async releaseLimits(request: LimitRequest, receipt: LimitReceipt): Promise<void> {
    const keys = this.#limitKeys(request);
    const at = receipt.slice(0, receipt.indexOf(":"));
    await this.#call(() => this.#redis.otpReleaseLimits(keys.length, ...keys, at, receipt));
  }

  /**
   * The cooldown's key, then each cap's. A cooldown may share its key with a cap (a sorted set): it is a string
   * under a name of its own.
   */
  #limitKeys(request: LimitRequest): string[] {
    return [
      this.#key("cooldown", request.cooldown?.key ?? "off"),
      ...request.caps.map((cap) => this.#key("limit", cap.key)),
    ];
  }

  async recentCounts(counters: readonly CounterRef[]): Promise<number[]> {
    if (counters.length === 0) return [];
    const keys = counters.map((counter) => this.#key("limit", counter.key));
    const windows = counters.map((counter) => counter.windowMs);
    const reply = await this.#call(() =>
      this.#redis.otpRecentCounts(keys.length, ...keys, this.#now(), ...windows),
    );
    return reply as number[];
  }

  async claimIdempotency(
    key: string,
    fingerprint: string,
    token: string,
    leaseSeconds: number,
  ): Promise<IdempotencyRecord | null> {
    const reply = await this.#call(() =>
      this.#redis.otpClaim(this.#key("idem", key), this.#now(), fingerprint, token, leaseSeconds * 1000),
    );
    if (reply === null) return null;
    const [storedFingerprint, outcome] = reply as [string, string | null];
    return { fingerprint: storedFingerprint, outcome };
  }

  async completeIdempotency(key: string, token: string, outcome: string, ttlSeconds: number): Promise<void> {
    await this.#call(() =>
      this.#redis.otpComplete(this.#key("idem", key), this.#now(), token, outcome, ttlSeconds * 1000),
    );
    this.#announceEnded(key);
  }

  async releaseIdempotency(key: string, token: string): Promise<void> {
    await this.#call(() => this.#redis.otpRelease(this.#key("idem", key), token));
    this.#announceEnded(key);
  }

  async watchIdempotency(key: string): Promise<IdempotencyWatch> {
    await this.#subscribe();
    return this.#watchers.watch(key);
  }

  /** Tell every replica's waiters (this one's too) that `key`'s claim ended; a lost notice only delays them. */
  #announceEnded(key: string): void {
    this.#redis.publish(this.#endedChannel, key).catch(() => undefined);
  }

  /**
   * Subscribe once (a connection of its own: a subscribed connection takes no other command; it subscribes again
   * by itself after a reconnection). Waits at most {@link SUBSCRIBE_WAIT_MS}: a waiter whose notice is missed
   * looks again later.
   */
  async #subscribe(): Promise<void> {
    if (this.#subscriber === null) {
      const subscriber = this.#redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
      subscriber.on("error", () => undefined);
      subscriber.on("message", (_channel: string, key: string) => {
        this.#watchers.end(key);
      });
      this.#subscriber = subscriber;
    }
    this.#subscribed ??= this.#subscriber.subscribe(this.#endedChannel).then(
      () => undefined,
      () => {
        // Refused (an ACL without SUBSCRIBE, say): waiters look again now and then; the next watch tries again.
        this.#subscribed = null;
      },
    );
    // While Redis is away the claim that follows fails at once: no wait for a subscription that cannot be made.
    if (this.#redis.status !== "ready") return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#subscribed,
      new Promise((resolve) => {
        timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  async ping(): Promise<boolean> {
    await this.#firstConnection;
    try {
      await this.#redis.ping();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#subscriber?.disconnect();
    try {
      await this.#redis.quit();
    } catch {
      this.#redis.disconnect();
    }
  }

  get #endedChannel(): string {
    return `${this.#prefix}${IDEMPOTENCY_ENDED_CHANNEL}`;
  }

  #key(kind: string, id: string): string {
    return `${this.#prefix}${kind}:${id}`;
  }

  /**
   * The server's `maxmemory-policy`, or null when it does not say (`CONFIG` is often refused on managed Redis).
   * Rejects with `StoreUnavailableError` when Redis cannot be reached.
   */
  async evictionPolicy(): Promise<string | null> {
    await this.#firstConnection;
    let reply: unknown;
    try {
      reply = await this.#redis.config("GET", "maxmemory-policy");
    } catch (error) {
      if (this.#redis.status !== "ready") {
        throw new StoreUnavailableError("The state store (Redis) did not answer.", { cause: error });
      }
      return null;
    }
    const [, policy] = reply as [string?, string?];
    return policy ?? null;
  }

  async #call<T>(command: () => Promise<T>): Promise<T> {
    await this.#firstConnection;
    try {
      return await command();
    } catch (error) {
      // At maxmemory with `noeviction`, Redis refuses writes that need room and keeps every key.
      if (error instanceof Error && error.message.startsWith("OOM ")) {
        throw new StoreSaturatedError("The state store (Redis) is at maxmemory.", FULL_RETRY_AFTER_MS, {
          cause: error,
        });
      }
      throw new StoreUnavailableError("The state store (Redis) did not answer.", { cause: error });
    }
  }
}
