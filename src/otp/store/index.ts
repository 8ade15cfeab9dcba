import { MemoryStore } from "./memory.js";
import { RedisStore, type RedisConnection } from "./redis.js";
import type { OtpStore } from "./store.js";

/** Which backend holds the state, as the configuration names it. */
export type StoreSettings =
  | { kind: "memory"; maxMb: number }
  | ({ kind: "redis"; keyPrefix: string; allowEviction: boolean } & RedisConnection);

export interface CreateStoreOptions {
  now?: () => number;
  /** Redis only: told when the connection is lost and found again. */
  onConnectionChange?: (state: "up" | "down", error?: Error) => void;
}

/** The configured store: memory (one process) or Redis (shared by replicas). */
export function createStore(settings: StoreSettings, options: CreateStoreOptions = {}): OtpStore {
  if (settings.kind === "memory") {
    return new MemoryStore({
      maxBytes: settings.maxMb * 1024 * 1024,
      ...(options.now && { now: options.now }),
    });
  }
  const { kind: _kind, ...connection } = settings;
  return new RedisStore({ ...connection, ...options });
}
