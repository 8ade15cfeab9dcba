import { randomUUID } from "node:crypto";
import { isIP } from "node:net";
import { connect as connectTls, type ConnectionOptions } from "node:tls";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { Challenge, OtpOutcome } from "../model.js";
import { decodeOutcome, encodeOutcome, packChallenge, unpackChallenge } from "./challenge-codec.js";
import { KeyWatchers } from "./key-watchers.js";
import {
  StoreSaturatedError,
  StoreUnavailableError,
  type CounterRef,
  type IdempotencyRecord,
  type IdempotencyWatch,
  type LimitDecision,
  type LimitName,
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
 * KEYS[1] = cooldown key, KEYS[2..n+1] = the n cap keys (sorted sets of send times); during a state secret rotation
 * the same n+1 keys under the previous secret follow, read only: their sends count too, new ones go under the first.
 * ARGV = now, member, cooldownMs, then name, max (0: counts only), windowMs, keep for each cap.
 * Times come from the caller's clock; TTLs only clean up. Answers {1} or {0, waitMs, limit}.
 */
const CONSUME_LIMITS = `
local now = tonumber(ARGV[1])
local cooldown = tonumber(ARGV[3])
local last = (#ARGV - 3) / 4 + 1
local previous = #KEYS > last and last or 0
local wait, limit = 0, ''
if cooldown > 0 then
  local at = tonumber(redis.call('GET', KEYS[1]))
  if previous > 0 then
    local before = tonumber(redis.call('GET', KEYS[1 + previous]))
    if before and (not at or before > at) then at = before end
  end
  if at and at + cooldown > now then wait, limit = at + cooldown - now, 'cooldown' end
end
for i = 2, last do
  local at = 4 * i - 4
  local name, max, window = ARGV[at], tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
  local since = '(' .. (now - window)
  local count = redis.call('ZCOUNT', KEYS[i], since, '+inf')
  local before = 0
  if previous > 0 then before = redis.call('ZCOUNT', KEYS[i + previous], since, '+inf') end
  if max > 0 and count + before >= max then
    -- The send that must leave the window first: the k-th oldest of both sets.
    local k = count + before - max + 1
    local oldest
    if before == 0 then
      oldest = tonumber(redis.call('ZRANGEBYSCORE', KEYS[i], since, '+inf', 'WITHSCORES', 'LIMIT', k - 1, 1)[2])
    else
      local times = {}
      for _, key in ipairs({KEYS[i], KEYS[i + previous]}) do
        local found = redis.call('ZRANGEBYSCORE', key, since, '+inf', 'WITHSCORES', 'LIMIT', 0, k)
        for j = 2, #found, 2 do times[#times + 1] = tonumber(found[j]) end
      end
      table.sort(times)
      oldest = times[k]
    end
    local w = oldest + window - now
    if w > wait then wait, limit = w, name end
  end
end
if wait > 0 then return {0, wait, limit} end
if cooldown > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', cooldown) end
for i = 2, last do
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

/**
 * KEYS = n counters, then (during a rotation) the same n under the previous secret. ARGV = now, then windowMs for
 * each. Answers the count of each within its window, both forms together.
 */
const RECENT_COUNTS = `
local n = #ARGV - 1
local counts = {}
for i = 1, n do
  local since = '(' .. (tonumber(ARGV[1]) - tonumber(ARGV[i + 1]))
  counts[i] = redis.call('ZCOUNT', KEYS[i], since, '+inf')
  if #KEYS > n then counts[i] = counts[i] + redis.call('ZCOUNT', KEYS[i + n], since, '+inf') end
end
return counts
`;

/**
 * KEYS[1] = record, KEYS[2] (during a rotation) = the record under the previous secret, read only.
 * ARGV = now, fingerprint, token, leaseMs. Answers nil when claimed (under KEYS[1]), else {fp, outcome}.
 */
const CLAIM = `
for i = 1, #KEYS do
  local live = tonumber(redis.call('HGET', KEYS[i], 'until'))
  if live and live > tonumber(ARGV[1]) then
    return {redis.call('HGET', KEYS[i], 'fp'), redis.call('HGET', KEYS[i], 'outcome')}
  end
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
  otpClaim(numKeys: number, ...args: (string | number)[]): Promise<unknown>;
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

/** TLS to Redis (and the sentinels): the CA that signs their certificates, null for the system's CAs. */
export interface RedisTls {
  ca: string | null;
}

/** A Redis Cluster: seed nodes (any of its nodes; the client learns the rest and the slots from them). */
export interface ClusterConnection {
  nodes: { host: string; port: number }[];
  /** The nodes' password. */
  password: string | null;
}

/**
 * Where Redis is: one URL (`redis://`, `rediss://` for TLS; a managed primary endpoint), Sentinel, or a Cluster;
 * `tls` with a `rediss://` URL names its CA, with Sentinel or a Cluster turns TLS on.
 */
export type RedisConnection = (
  { url: string } | { sentinel: SentinelConnection } | { cluster: ClusterConnection }
) & { tls?: RedisTls };

export type RedisStoreOptions = RedisConnection & {
  /** Put before every key, so several deployments can share one Redis. */
  keyPrefix?: string;
  now?: () => number;
  /** Told when the connection is lost and found again (once per change, not per retry). */
  onConnectionChange?: (state: "up" | "down", error?: Error) => void;
};

/**
 * State shared by replicas in one Redis: standalone, through Sentinel, or a Cluster. In a Cluster every key holds
 * one hash tag (see `#key`), so each script's keys are in one slot, as a script needs.
 * Calls fail fast while Redis is away (no offline queue, one retry, a command timeout) and the client keeps
 * reconnecting, so the subgraph fails closed and recovers by itself.
 */
export class RedisStore implements OtpStore {
  readonly #redis: (Redis | Cluster) & Scripts;
  /** In a Cluster, the hash tag every key holds (all state in one slot); null otherwise. */
  readonly #tag: string | null;
  readonly #prefix: string;
  readonly #now: () => number;
  /** Settles once the first connection is up; calls made before it wait for it (briefly), later ones never. */
  readonly #firstConnection: Promise<void>;
  #closing = false;
  /** The connection that listens for ended claims (made on the first watch), and its subscription. */
  #subscriber: Redis | Cluster | null = null;
  #subscribed: Promise<void> | null = null;
  readonly #watchers = new KeyWatchers();
  /** Why the last TLS handshake refused Redis's certificate; null when none did. */
  #certificateProblem: string | null = null;
  /** The TLS options, null without TLS; and the endpoints first asked (Redis, or the sentinels). */
  readonly #tls: ConnectionOptions | null;
  readonly #endpoints: readonly { host: string; port: number }[];
  /** In a Cluster, told whether each call reached the slot's primary (the connection state of a Cluster). */
  #callsTell: ((state: "up" | "down", error?: Error) => void) | null = null;

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
    const tls = options.tls && { ...(options.tls.ca !== null && { ca: options.tls.ca }) };
    this.#tls = tls ?? ("url" in options && options.url.startsWith("rediss://") ? {} : null);
    this.#endpoints =
      "url" in options
        ? [urlEndpoint(options.url)]
        : "sentinel" in options
          ? options.sentinel.sentinels
          : options.cluster.nodes;
    this.#tag = "cluster" in options ? `{${this.#prefix}}` : null;
    const redis = (
      "url" in options
        ? new Redis(options.url, { ...settings, ...(tls && { tls }) })
        : "cluster" in options
          ? new Cluster(options.cluster.nodes, {
              enableOfflineQueue: false,
              // The nodes and slots, asked again every second, and at once on MOVED and on a failed call.
              slotsRefreshInterval: 1000,
              slotsRefreshTimeout: 2000,
              clusterRetryStrategy: (times) => Math.min(times * 100, 1000),
              // MOVED (a slot migrated, or a replica promoted) and ASK are followed at once, a few times at most;
              // CLUSTERDOWN and TRYAGAIN (a slot without a primary, a migration under way) are retried shortly
              // while the call's command timeout lasts.
              maxRedirections: 8,
              retryDelayOnMoved: 0,
              retryDelayOnClusterDown: 200,
              retryDelayOnTryAgain: 200,
              retryDelayOnFailover: 200,
              redisOptions: {
                ...settings,
                ...(options.cluster.password !== null && { password: options.cluster.password }),
                ...(tls && { tls }),
              },
              // With TLS, the certificate is checked against the address each node announces, as given.
              ...(tls && {
                dnsLookup: (address, callback) => {
                  callback(null, address);
                },
              }),
            })
          : new Redis({
              ...settings,
              ...(tls && { tls, sentinelTLS: tls, enableTLSForSentinelMode: true }),
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
    ) as (Redis | Cluster) & Scripts;
    redis.defineCommand("otpConsumeLimits", { lua: CONSUME_LIMITS });
    redis.defineCommand("otpReleaseLimits", { lua: RELEASE_LIMITS });
    redis.defineCommand("otpRecentCounts", { lua: RECENT_COUNTS });
    redis.defineCommand("otpClaim", { lua: CLAIM });
    redis.defineCommand("otpComplete", { lua: COMPLETE, numberOfKeys: 1 });
    redis.defineCommand("otpRelease", { lua: RELEASE, numberOfKeys: 1 });
    redis.defineCommand("otpSaveChallenge", { lua: SAVE_CHALLENGE, numberOfKeys: 1 });
    let state: "unknown" | "up" | "down" = "unknown";
    const change = (next: "up" | "down", error?: Error) => {
      if (state !== next && !this.#closing) options.onConnectionChange?.(next, error);
      state = next;
    };
    // A Cluster stays "ready" while one slot's primary is away: there, the calls themselves tell.
    if (this.#tag !== null) this.#callsTell = change;
    redis.on("ready", () => {
      change("up");
    });
    let firstConnectionFailed: () => void = () => undefined;
    redis.on("error", (error: Error) => {
      const refused = certificateRefused(error);
      if (refused) this.#certificateProblem = refused;
      // No use waiting for a first connection that TLS refuses.
      if (refused) firstConnectionFailed();
      change("down", refused ? new Error(refused, { cause: error }) : error);
    });
    redis.on("close", () => {
      if (state === "up") change("down");
    });
    this.#redis = redis;
    this.#firstConnection = new Promise<void>((resolve) => {
      firstConnectionFailed = resolve;
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
    // During a rotation, the previous forms follow, in the same order (a rule without one reads an unused key).
    const { cooldown, caps } = request;
    if (rotating(cooldown, ...caps)) {
      keys.push(
        this.#key("cooldown", cooldown?.previousKey ?? "off"),
        ...caps.map((cap) => this.#key("limit", cap.previousKey ?? `${cap.key}:none`)),
      );
    }
    const now = this.#now();
    const member = `${now}:${randomUUID()}`;
    const args = [now, member, request.cooldown?.ms ?? 0];
    for (const cap of request.caps) args.push(cap.name, cap.max, cap.windowMs, cap.keep);
    const reply = await this.#call(() => this.#redis.otpConsumeLimits(keys.length, ...keys, ...args));
    const answer = reply as [1] | [0, number, LimitName];
    return answer[0] === 1
      ? { allowed: true, receipt: member }
      : { allowed: false, limit: answer[2], retryAfterMs: answer[1] };
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
    if (rotating(...counters)) {
      keys.push(
        ...counters.map((counter) => this.#key("limit", counter.previousKey ?? `${counter.key}:none`)),
      );
    }
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
    previousKey?: string,
  ): Promise<IdempotencyRecord | null> {
    const keys = [this.#key("idem", key)];
    if (previousKey !== undefined) keys.push(this.#key("idem", previousKey));
    const reply = await this.#call(() =>
      this.#redis.otpClaim(keys.length, ...keys, this.#now(), fingerprint, token, leaseSeconds * 1000),
    );
    if (reply === null) return null;
    const [storedFingerprint, outcome] = reply as [string, string | null];
    return { fingerprint: storedFingerprint, outcome: outcome === null ? null : decodeOutcome(outcome) };
  }

  async completeIdempotency(
    key: string,
    token: string,
    outcome: OtpOutcome,
    ttlSeconds: number,
  ): Promise<void> {
    const stored = encodeOutcome(outcome);
    await this.#call(() =>
      this.#redis.otpComplete(this.#key("idem", key), this.#now(), token, stored, ttlSeconds * 1000),
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
      // In a Cluster, a message published on any node reaches the subscribers of every node.
      const subscriber =
        this.#redis instanceof Cluster
          ? this.#redis.duplicate([], {
              enableOfflineQueue: true,
              redisOptions: { ...this.#redis.options.redisOptions, maxRetriesPerRequest: null },
            })
          : this.#redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
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
    // A store's first watch may come before its first connection is up: wait for that (briefly) as calls do. While
    // Redis is away the claim that follows fails at once: no wait for a subscription that cannot be made.
    await this.#firstConnection;
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
      // In a Cluster, the node that matters is the primary of the state's slot: a keyed read goes there.
      await (this.#tag === null
        ? this.#redis.ping()
        : this.#call(() => this.#redis.exists(this.#key("ready", ""))));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Why TLS refused Redis's certificate on the last attempt (not signed by the CA given, a host name it does not
   * name, expired), or null: a setting to fix, not an outage to wait out.
   */
  async certificateProblem(): Promise<string | null> {
    if (this.#redis.status === "ready" || this.#tls === null) return null;
    if (this.#certificateProblem !== null) return this.#certificateProblem;
    // Through Sentinel, the client reports a refused handshake as a closed connection: ask each endpoint directly.
    for (const endpoint of this.#endpoints) {
      const problem = await handshakeProblem(endpoint, this.#tls);
      if (problem !== null) return problem;
    }
    return null;
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

  /**
   * The Redis key of a store key: the one place they are made. In a Cluster every key holds the hash tag
   * `{<prefix>}`, so all of them (a send's limits with the global budgets, an idempotency key with its previous
   * form, the challenges one MGET loads) are in one slot; a standalone Redis keeps the keys it always had.
   */
  #key(kind: string, id: string): string {
    return `${this.#tag ?? this.#prefix}${kind}:${id}`;
  }

  /**
   * The server's `maxmemory-policy`, or null when it does not say (`CONFIG` is often refused on managed Redis).
   * Rejects with `StoreUnavailableError` when Redis cannot be reached.
   */
  async evictionPolicy(): Promise<string | null> {
    await this.#firstConnection;
    let reply: unknown;
    try {
      reply =
        this.#redis instanceof Cluster
          ? await clusterPolicy(this.#redis)
          : await this.#redis.config("GET", "maxmemory-policy");
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
      const result = await command();
      this.#callsTell?.("up");
      return result;
    } catch (error) {
      if (this.#callsTell && !(error instanceof Error && error.message.startsWith("OOM "))) {
        this.#callsTell("down", error instanceof Error ? error : undefined);
        // The slot's primary may have moved (a replica promoted): ask the cluster now, not at the next interval.
        (this.#redis as Cluster).refreshSlotsCache();
      }
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

/** Node's codes for a certificate that TLS refused. */
const CERTIFICATE_ERRORS = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_SIGNATURE_FAILURE",
  "CERT_NOT_YET_VALID",
  "CERT_HAS_EXPIRED",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** The primaries' `maxmemory-policy` answers, the first that is not the safe one (or the safe one). */
async function clusterPolicy(cluster: Cluster): Promise<unknown> {
  const replies = await Promise.all(
    cluster.nodes("master").map((node) => node.config("GET", "maxmemory-policy")),
  );
  if (replies.length === 0) throw new Error("no primary known yet");
  return replies.find((reply) => reply[1] !== SAFE_EVICTION_POLICY) ?? replies[0];
}

/** Whether any of these keys has a previous form (a state secret rotation is under way). */
function rotating(...rules: ({ previousKey?: string } | null)[]): boolean {
  return rules.some((rule) => rule?.previousKey !== undefined);
}

/** The host and port of a `redis://` or `rediss://` URL. */
function urlEndpoint(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ""), port: Number(parsed.port || 6379) };
}

/** Why a TLS handshake with `endpoint` refuses its certificate, or null (accepted, or not reached at all). */
function handshakeProblem(
  endpoint: { host: string; port: number },
  tls: ConnectionOptions,
): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connectTls({
      ...tls,
      host: endpoint.host,
      port: endpoint.port,
      ...(isIP(endpoint.host) === 0 && { servername: endpoint.host }),
    });
    const done = (problem: string | null) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(FIRST_CONNECTION_WAIT_MS, () => {
      done(null);
    });
    socket.once("secureConnect", () => {
      done(null);
    });
    socket.once("error", (error: Error) => {
      done(certificateRefused(error));
    });
  });
}

/** A clear sentence when `error` is TLS refusing Redis's certificate; null for any other error. */
function certificateRefused(error: Error): string | null {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === undefined || !CERTIFICATE_ERRORS.has(code)) return null;
  const fix =
    code === "ERR_TLS_CERT_ALTNAME_INVALID"
      ? "the certificate does not name the host connected to"
      : code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID"
        ? "the certificate is outside its validity period"
        : "it is not signed by a CA this service trusts: REDIS_TLS_CA_FILE must hold the CA that signed it";
  return `Redis's TLS certificate was refused (${code}): ${fix}`;
}
