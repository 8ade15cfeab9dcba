import { performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * Gives the memory V8 grew for a load back to the system once the process goes idle.
 *
 * V8 keeps the pages a garbage collection frees in a pool, and only a memory-reducing collection empties it. On
 * Node.js 22 and 24 the collector that should run one when the process is idle never does: its allocation-rate
 * test reads "high" for ever, even in a script that does nothing but wait (`--trace-memory-reducer`). So a
 * replica that served a burst kept the heap it grew for it, 80–160 MB more RSS than before (docs/benchmark.md).
 * Node.js 26's V8 releases pooled pages after 8 seconds on its own (`--memory-pool-timeout`), so there this does
 * nothing.
 *
 * Every `intervalMs`, the event loop's utilisation over the interval is read: once an interval was busy (at least
 * {@link BUSY}), the first idle one after it (under {@link IDLE}) runs one memory-reducing collection, about
 * 80–120 ms of a main thread that has nothing else to do (a request arriving in that moment waits for it).
 */
export function releaseMemoryWhenIdle(options: IdleMemoryOptions = {}): () => void {
  const {
    intervalMs = 5_000,
    utilization = loopUtilization(),
    collect = memoryReducingCollection(),
  } = options;
  let busySinceCollection = false;
  const timer = setInterval(() => {
    const used = utilization();
    if (used >= BUSY) busySinceCollection = true;
    else if (busySinceCollection && used < IDLE) {
      busySinceCollection = false;
      collect();
    }
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}

/** An interval at least this busy (event loop utilisation, 0–1) grew the heap enough to give some back after. */
export const BUSY = 0.05;
/** An interval under this is idle. */
export const IDLE = 0.01;

export interface IdleMemoryOptions {
  intervalMs?: number;
  /** The event loop's utilisation since the last call, 0–1. */
  utilization?: () => number;
  collect?: () => void;
}

/** Whether this runtime needs it: Node.js before 26 (see {@link releaseMemoryWhenIdle}). */
export function needsIdleRelease(version = process.versions.node): boolean {
  return Number(version.split(".")[0]) < 26;
}

function loopUtilization(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    return utilization;
  };
}

/** V8's garbage collector as `--expose-gc` gives it, without putting `gc` on the global object. */
interface Collector {
  (options: { type: "major"; execution: "sync"; flavor: "last-resort" }): void;
}

/**
 * A collection that also empties V8's page pool (`flavor: "last-resort"`, what V8 runs before it gives up on
 * memory). The collector is taken from a fresh context created while `--expose-gc` is set, then the flag is
 * cleared: the service's own global object never has a `gc`.
 */
export function memoryReducingCollection(): () => void {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as Collector;
  setFlagsFromString("--no-expose-gc");
  return () => {
    gc({ type: "major", execution: "sync", flavor: "last-resort" });
  };
}
