import { describe, expect, it, vi } from "vitest";
import {
  BUSY,
  IDLE,
  memoryReducingCollection,
  needsIdleRelease,
  releaseMemoryWhenIdle,
} from "../../src/idle-memory.js";

/** Runs the release over `readings` (one per interval, on fake timers); answers after which readings it collected. */
function collectionsOver(readings: number[]): number[] {
  vi.useFakeTimers();
  try {
    const collections: number[] = [];
    let reading = 0;
    const stop = releaseMemoryWhenIdle({
      intervalMs: 1_000,
      utilization: () => readings[reading++] ?? 0,
      collect: () => collections.push(reading),
    });
    vi.advanceTimersByTime(readings.length * 1_000);
    stop();
    vi.advanceTimersByTime(10_000);
    return collections;
  } finally {
    vi.useRealTimers();
  }
}

describe("memory given back when the process goes idle", () => {
  it("collects once in the first idle interval after a busy one, and not again until the next busy one", () => {
    expect(collectionsOver([0, 0, 0.6, 0.9, 0.3, 0, 0, 0, 0.7, 0.004, 0])).toEqual([6, 10]);
  });

  it("does nothing for a process that never got busy, nor while a trickle keeps it between idle and busy", () => {
    expect(collectionsOver([0, 0.001, 0, 0])).toEqual([]);
    expect(collectionsOver([0.5, (BUSY + IDLE) / 2, (BUSY + IDLE) / 2, BUSY - 0.001])).toEqual([]);
  });

  it("stops when told", () => {
    expect(collectionsOver([])).toEqual([]);
  });

  it("runs where V8 keeps its page pool (Node.js 22 and 24), not on 26, whose V8 empties it by itself", () => {
    expect(["22.19.0", "24.22.3", "26.0.0"].map((version) => needsIdleRelease(version))).toEqual([
      true,
      true,
      false,
    ]);
  });

  it("collects with V8's own collector, without leaving `gc` on the global object", () => {
    const hadGc = "gc" in globalThis;
    const collect = memoryReducingCollection();
    collect();
    expect("gc" in globalThis).toBe(hadGc);
  });
});
