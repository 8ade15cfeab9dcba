/**
 * Preloaded into the subgraph by the benchmark's memory phase only (`--expose-gc --import`): SIGUSR2 runs a full
 * garbage collection, so the RSS read after it is what the process keeps, not garbage V8 has not collected yet.
 */
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("gc-on-signal needs node --expose-gc");
process.on("SIGUSR2", () => {
  gc();
});
