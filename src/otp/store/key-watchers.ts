import type { IdempotencyWatch } from "./store.js";

/**
 * Who waits for which idempotency key's pending claim to end, in this process: a watch per waiting duplicate,
 * ended all at once when the store learns the claim ended (transient: as many as the duplicates in flight).
 */
export class KeyWatchers {
  readonly #watchers = new Map<string, Set<() => void>>();

  watch(key: string): IdempotencyWatch {
    let end: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => {
      end = resolve;
    });
    let watchers = this.#watchers.get(key);
    if (!watchers) {
      watchers = new Set();
      this.#watchers.set(key, watchers);
    }
    watchers.add(end);
    return {
      ended,
      close: () => {
        const current = this.#watchers.get(key);
        current?.delete(end);
        if (current?.size === 0) this.#watchers.delete(key);
      },
    };
  }

  /** The claim on `key` ended: wake everyone watching it. */
  end(key: string): void {
    const watchers = this.#watchers.get(key);
    if (!watchers) return;
    this.#watchers.delete(key);
    for (const end of watchers) end();
  }
}
