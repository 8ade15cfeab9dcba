import { MemoryStore } from "./memory.js";
import { RedisStore } from "./redis.js";
import type { OtpStore } from "./store.js";

/** Which backend holds the state, as the configuration names it. */
export type StoreSettings =
  | { kind: "memory"; maxMb: number }
  | { kind: "redis"; url: string; keyPrefix: string; allowEviction: boolean };

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
  return new RedisStore({ url: settings.url, keyPrefix: settings.keyPrefix, ...options });
}
