/** The configured store as a handle: its gauges, its start-up check and its capacity line, whichever store it is. */
import { describe, expect, inject, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { memoryCapacityLine } from "../../src/otp/memory-capacity.js";
import { createStore, givenStore, type StoreGauges } from "../../src/otp/store/index.js";
import { MemoryStore } from "../../src/otp/store/memory.js";

const redisUrl = inject("redisUrl");
const limits = loadConfig({}).limits;

/** What a handle reported: the connection gauge's values, the memory gauge's reading, the log lines. */
function recorder() {
  const connection: boolean[] = [];
  let usage: (() => { maxBytes: number }) | null = null;
  const lines: { level: string; fields: object; message: string }[] = [];
  const gauges: StoreGauges = {
    storeConnection: (up) => connection.push(up),
    memoryStore: (read) => {
      usage = read;
    },
  };
  const line = (level: string) => (fields: object, message: string) => lines.push({ level, fields, message });
  const log = { info: line("info"), warn: line("warn"), error: line("error") };
  return { gauges, log, connection, lines, usage: () => usage?.() ?? null };
}

describe("the store handle", () => {
  it("memory: up from the start, its usage gauged, its bound's capacity line, nothing to refuse", async () => {
    const seen = recorder();
    const handle = createStore({ kind: "memory", maxMb: 2 }, seen);
    expect(seen.connection).toEqual([true]);
    expect(seen.usage()).toMatchObject({ maxBytes: 2 * 1024 * 1024 });
    expect(await handle.startupProblem()).toBeNull();
    expect(await handle.capacityLine(limits)).toBe(await memoryCapacityLine(2, limits));
    await handle.store.close();
  });

  it("a given memory store: its own usage gauged, no capacity line", async () => {
    const seen = recorder();
    const handle = givenStore(new MemoryStore({ maxBytes: 64 * 1024 }), seen.gauges);
    expect(seen.connection).toEqual([true]);
    expect(seen.usage()).toMatchObject({ maxBytes: 64 * 1024 });
    expect(await handle.capacityLine(limits)).toBeNull();
    await handle.store.close();
  });

  it.skipIf(redisUrl === null)(
    "Redis: down until connected, then up and said; no capacity line",
    async () => {
      const seen = recorder();
      const settings = {
        kind: "redis",
        url: redisUrl ?? "",
        keyPrefix: "handle:",
        allowEviction: false,
      } as const;
      const handle = createStore(settings, seen);
      expect(seen.connection[0]).toBe(false);
      expect(await handle.startupProblem()).toBeNull();
      expect(await handle.store.ping()).toBe(true);
      expect(seen.connection.at(-1)).toBe(true);
      expect(seen.lines).toContainEqual({
        level: "info",
        fields: { store: "redis" },
        message: "state store reachable",
      });
      expect(seen.usage()).toBeNull();
      expect(await handle.capacityLine(limits)).toBeNull();
      await handle.store.close();
    },
  );
});
