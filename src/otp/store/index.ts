/**
 * The configured store, as a handle that carries what starting it involves: its start-up check, its gauges and its
 * start-up line. Callers never ask which backend it is.
 */
import { memoryCapacityLine } from "../memory-capacity.js";
import type { LimitPolicy } from "../limits.js";
import { MemoryStore, type MemoryStoreUsage } from "./memory.js";
import { RedisStore, SAFE_EVICTION_POLICY, type RedisConnection } from "./redis.js";
import type { OtpStore } from "./store.js";

/** Which backend holds the state, as the configuration names it. */
export type StoreSettings =
  | { kind: "memory"; maxMb: number }
  | ({ kind: "redis"; keyPrefix: string; allowEviction: boolean } & RedisConnection);

/** The gauges a store reports to (`Metrics` is one). */
export interface StoreGauges {
  /** The store answers (memory: from the start; Redis: once connected, until the connection is lost). */
  storeConnection(up: boolean): void;
  /** How full the memory store is, read at every scrape. */
  memoryStore(usage: () => MemoryStoreUsage): void;
}

/** Where a store says what happened to it (a pino logger is one). */
export interface StoreLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface CreateStoreOptions {
  gauges: StoreGauges;
  log: StoreLog;
}

/** A store with what starting it involves. */
export interface StoreHandle {
  /** The store itself (untraced). */
  readonly store: OtpStore;
  /**
   * What must refuse the start (a setting to fix), or null; what is worth only a warning is logged. Redis: its
   * `maxmemory-policy`, and a certificate TLS refuses.
   */
  startupProblem(): Promise<string | null>;
  /** The line printed after the start-up message (memory: what its bound keeps under `policy`); null for none. */
  capacityLine(policy: LimitPolicy): Promise<string | null>;
}

/** The configured store: memory (one process) or Redis (shared by replicas). */
export function createStore(settings: StoreSettings, options: CreateStoreOptions): StoreHandle {
  const { gauges, log } = options;
  if (settings.kind === "memory") {
    const store = new MemoryStore({ maxBytes: settings.maxMb * 1024 * 1024 });
    return memoryHandle(store, gauges, (policy) => memoryCapacityLine(settings.maxMb, policy));
  }
  const { kind, allowEviction, ...connection } = settings;
  // Redis counts as down until its first connection is up.
  gauges.storeConnection(false);
  const store = new RedisStore({
    ...connection,
    onConnectionChange: (state, error) => {
      gauges.storeConnection(state === "up");
      if (state === "up") log.info({ store: kind }, "state store reachable");
      else log.error({ store: kind, err: error?.message }, "state store unreachable");
    },
  });
  return {
    store,
    startupProblem: () => evictionPolicyProblem(store, allowEviction, log),
    capacityLine: () => Promise.resolve(null),
  };
}

/** A store made elsewhere (tests give one already full), up from the start, with the memory store's gauges. */
export function givenStore(store: OtpStore, gauges: StoreGauges): StoreHandle {
  if (store instanceof MemoryStore) return memoryHandle(store, gauges, () => Promise.resolve(null));
  gauges.storeConnection(true);
  return { store, startupProblem: () => Promise.resolve(null), capacityLine: () => Promise.resolve(null) };
}

function memoryHandle(
  store: MemoryStore,
  gauges: StoreGauges,
  capacityLine: StoreHandle["capacityLine"],
): StoreHandle {
  gauges.storeConnection(true);
  gauges.memoryStore(() => store.usage());
  return { store, startupProblem: () => Promise.resolve(null), capacityLine };
}

/**
 * A Redis whose `maxmemory-policy` evicts keys (every key here has a TTL, so `volatile-*` policies evict live
 * limits as surely as `allkeys-*`) refuses the start, unless `OTP_REDIS_ALLOW_EVICTION=true`; a policy that cannot
 * be read (`CONFIG` refused, or Redis not reachable yet) is a warning.
 */
async function evictionPolicyProblem(
  store: RedisStore,
  allowEviction: boolean,
  log: StoreLog,
): Promise<string | null> {
  const advice = `set maxmemory-policy to ${SAFE_EVICTION_POLICY}`;
  let policy: string | null;
  try {
    policy = await store.evictionPolicy();
  } catch {
    // A certificate TLS refuses is a setting to fix: refused at start, as TLS is never turned off.
    const certificate = await store.certificateProblem();
    if (certificate !== null) return certificate;
    log.warn({}, `Redis not reachable at start: its maxmemory-policy was not checked (${advice})`);
    return null;
  }
  if (policy === null) {
    log.warn({}, `Redis refused CONFIG GET maxmemory-policy: it was not checked (${advice})`);
    return null;
  }
  if (policy === SAFE_EVICTION_POLICY) return null;
  const problem = `Redis maxmemory-policy is ${policy}: at maxmemory it evicts live limits and idempotency records`;
  if (!allowEviction) return `${problem}; ${advice}, or OTP_REDIS_ALLOW_EVICTION=true to start anyway`;
  log.warn({ policy }, `${problem} (started with OTP_REDIS_ALLOW_EVICTION=true; ${advice})`);
  return null;
}
