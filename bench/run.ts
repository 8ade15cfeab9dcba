/**
 * `npm run bench` — this subgraph against the plain subgraph a team would write (the peer), the same plain
 * subgraph on our own stack (the ceiling: Apollo Server + fastify + undici), on mercurius with graphql-jit, and
 * the floor (`node:http` + undici), in one run, on loopback, against one minimal upstream; and this subgraph's
 * refusal path (a capped destination, a premium-rate number, a malformed number) against its send path.
 *
 *   npm run bench            full run (3 rounds × 15 s per target, and 100k requests for memory growth)
 *   npm run bench -- --short a run of a few minutes (3 rounds × 2 s, and 20k requests for memory growth)
 *   npm run bench:hostile    the hostile documents only (`bench/hostile.ts`), into latest.json's `hostile`
 *   npm run bench -- --memory the memory phases alone (with --short: 20k requests), printed, no results file
 *   --rounds N, --duration S, --connections N   change the rounds; --only a,b  only these targets' rounds,
 *   printed, no memory phase and no results file (while working on one of them)
 *
 * The subgraph runs twice: untraced, and `traced` (OpenTelemetry on, every request sampled, spans exported over
 * OTLP/HTTP to a local sink process), to report the cost of tracing as a ratio.
 *
 * Every target runs in its own process (fresh for every measurement), measured with autocannon using the same
 * connections and duration, in alternating order. Prints req/s, p50/p99 latency, peak RSS and the ratios, and
 * writes bench/results/latest.json. Targets are checked by reading the ratios, never in a timed test.
 * Memory growth is read from /proc once the subgraph has settled after the run (idle for a while, so the service's
 * idle collection gives back the heap V8 grew for the load, then a full garbage collection through bench/gc-on-signal.ts,
 * preloaded for that phase only), and also right after the run. The memory phase also reads the bytes the memory
 * store counts per send (from /metrics), the capacity of the default bound, and floods a subgraph whose store has
 * a 1 MB bound with three times what it keeps: nothing is sent past the capacity, and nothing is sent twice.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { arch, cpus, platform, release, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { startRedisServer } from "../test/helpers/redis.js";
import { loadConfig } from "../src/config.js";
import { memoryCapacity } from "../src/otp/memory-capacity.js";
import { DEFAULT_MAX_MB } from "../src/otp/store/memory.js";
import {
  argValue,
  CONNECTIONS,
  load,
  loadAverage,
  processCpuUs,
  procStatusMb,
  start,
  stop,
  type Scenario,
} from "./harness.js";
import { timeHostileDocuments, type HostileResult } from "./hostile.js";

const MB = 1024 * 1024;

const short = process.argv.includes("--short");
const memoryOnly = process.argv.includes("--memory");
const only = argValue("--only")?.split(",");
const DURATION_S = Number(argValue("--duration") ?? (short ? 2 : 15));
const WARMUP_S = short ? 1 : 3;
const ROUNDS = memoryOnly ? 0 : Number(argValue("--rounds") ?? 3);
const MEMORY_REQUESTS = short ? 20_000 : 100_000;
/** Idle time after the memory run before the settled reading (src/idle-memory.ts acts after 5 to 10 s idle). */
const SETTLE_MS = 15_000;

const root = fileURLToPath(new URL("../..", import.meta.url));

const TARGETS = [
  "subgraph",
  "redis",
  "traced",
  "peer",
  "ceiling",
  "mercurius",
  "floor",
  "capped",
  "policy",
  "invalid",
] as const;

interface Target {
  name: (typeof TARGETS)[number];
  script: string;
  env: Record<string, string>;
  scenario: Scenario;
}

interface Measurement {
  target: Target["name"];
  round: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /**
   * The target process's CPU (all its threads) per request answered: what a request costs it, whatever the load
   * generator and the upstream beside it took from the machine's cores.
   */
  cpuUsPerRequest: number;
  /** RSS once started, before any request. */
  idleRssMb: number;
  peakRssMb: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** Answers that were not the scenario's (a target that answers errors fast would look fast). */
  unexpected: number;
  /** The machine's load average (1, 5, 15 min) when the measurement ended. */
  load: string;
}

async function upstreamProcess() {
  return start(`${root}dist/bench/upstream.js`, {});
}

async function measure(target: Target, round: number, offset: number): Promise<Measurement> {
  const { child, port } = await start(target.script, target.env);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const idleRssMb = procStatusMb(child.pid ?? 0, "VmRSS");
  const { scenario } = target;
  await load(port, { duration: WARMUP_S, offset: offset + 50_000_000, scenario });
  const cpuBefore = processCpuUs(child.pid ?? 0);
  const { result, unexpected } = await load(port, { duration: DURATION_S, offset, scenario });
  const cpuUsPerRequest = (processCpuUs(child.pid ?? 0) - cpuBefore) / result.requests.total;
  const peakRssMb = procStatusMb(child.pid ?? 0, "VmHWM");
  await stop(child);
  return {
    target: target.name,
    round,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    cpuUsPerRequest,
    idleRssMb,
    peakRssMb,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    unexpected,
    load: loadAverage(),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** The hostile documents against a fresh subgraph process (production settings, as measured above). */
async function hostileRound(subgraph: Target): Promise<HostileResult> {
  const { child, port } = await start(subgraph.script, subgraph.env);
  try {
    return await timeHostileDocuments(port);
  } finally {
    await stop(child);
  }
}

function hostileLines(hostile: HostileResult): string {
  return [
    `hostile documents (median of 15 each; a plain request ${hostile.plainMs} ms):`,
    ...hostile.documents.map(
      (timing) => `  ${timing.document}: ${timing.ms} ms, /healthz behind it ${timing.healthzMs} ms`,
    ),
    `worst: ${hostile.worst.document}, ${hostile.worstVsPlain}x a plain request; /healthz waits at most ${hostile.healthzVsPlain}x a plain request`,
    "",
  ].join("\n");
}

async function main(): Promise<void> {
  const upstream = await upstreamProcess();
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
  const sink = await start(`${root}dist/bench/otlp-sink.js`, {});
  // Live mode, default local limits; one trusted proxy hop so every request has its own client IP. No router
  // secret, like the peer (production requires one unless opted out, as here).
  const subgraphEnv = {
    OTP_MODE: "live",
    PHONE_BASE_URL: upstreamUrl,
    TRUST_PROXY: "1",
    OTP_ALLOW_NO_ROUTER_SECRET: "true",
  };
  // A `redis-server` on a free loopback port, persisting nothing, for the `redis` target.
  const redis = await startRedisServer();
  const main = `${root}dist/src/main.js`;
  const peerEnv = { PHONE_BASE_URL: upstreamUrl };
  const allTargets: Target[] = [
    { name: "subgraph", script: main, env: subgraphEnv, scenario: "send" },
    {
      name: "redis",
      script: main,
      env: { ...subgraphEnv, OTP_STORE: "redis", REDIS_URL: redis.url, OTP_STATE_SECRET: "bench-".repeat(8) },
      scenario: "send",
    },
    {
      name: "traced",
      script: main,
      env: { ...subgraphEnv, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.port}` },
      scenario: "send",
    },
    { name: "peer", script: `${root}dist/bench/peer.js`, env: peerEnv, scenario: "send" },
    { name: "ceiling", script: `${root}dist/bench/ceiling.js`, env: peerEnv, scenario: "send" },
    { name: "mercurius", script: `${root}dist/bench/mercurius.js`, env: peerEnv, scenario: "send" },
    { name: "floor", script: `${root}dist/bench/floor.js`, env: peerEnv, scenario: "send" },
    { name: "capped", script: main, env: subgraphEnv, scenario: "capped" },
    { name: "policy", script: main, env: subgraphEnv, scenario: "policy" },
    { name: "invalid", script: main, env: subgraphEnv, scenario: "invalid" },
  ];
  const targets = only ? allTargets.filter(({ name }) => only.includes(name)) : allTargets;
  const loadAtStart = loadAverage();
  process.stdout.write(`load average at the start: ${loadAtStart} (${cpus().length} cores)\n`);

  if (process.argv.includes("--hostile")) {
    const hostile = await hostileRound(allTargets[0] as Target);
    await stop(upstream.child);
    await stop(sink.child);
    await redis.stop();
    process.stdout.write(hostileLines(hostile));
    const path = `${root}bench/results/latest.json`;
    const latest = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
    await writeFile(path, `${JSON.stringify({ ...latest, hostile }, null, 2)}\n`);
    return;
  }

  // Memory growth of the subgraph over many requests with distinct destinations: RSS as it is right after the
  // run, and settled (idle, then a full garbage collection: what the process keeps, not the heap V8 grew for the
  // load and garbage it has not collected yet). This process starts first and idles through the rounds above
  // (taking no CPU from them), so the reading before its run is settled too.
  if (only) {
    for (let round = 0; round < ROUNDS; round++) await runRound(targets, round, []);
    await Promise.all([stop(upstream.child), stop(sink.child), redis.stop()]);
    return;
  }
  const subgraph = allTargets[0] as Target;
  const { child, port } = await start(subgraph.script, subgraph.env, [
    "--expose-gc",
    "--import",
    `${root}dist/bench/gc-on-signal.js`,
  ]);
  const collect = async () => {
    child.kill("SIGUSR2");
    await new Promise((resolve) => setTimeout(resolve, 1000));
  };
  // A full collection, then idle, so the service gives back the heap V8 grew for the load (src/idle-memory.ts); a
  // last collection, and the reading.
  const settled = async (idleMs = SETTLE_MS) => {
    await collect();
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    await collect();
    return procStatusMb(child.pid ?? 0, "VmRSS");
  };
  await load(port, { amount: 2_000, offset: 90_000_000 });

  const measurements: Measurement[] = [];
  for (let round = 0; round < ROUNDS; round++) await runRound(targets, round, measurements);

  // With no rounds before it (--memory), the heap of the warm-up has not been given back yet.
  const rssBeforeMb = await settled(memoryOnly ? SETTLE_MS : 1_000);
  const storeBytesBefore = await storeBytes(port);
  const growthRun = await load(port, { amount: MEMORY_REQUESTS, offset: 0 });
  const rssRightAfterMb = procStatusMb(child.pid ?? 0, "VmRSS");
  const storeBytesPerSend = (await storeBytes(port)) - storeBytesBefore;
  const rssAfterMb = await settled();
  await stop(child);
  const flood = await floodPastCapacity(subgraph);
  const hostile = await hostileRound(subgraph);
  await stop(upstream.child);
  await stop(sink.child);
  await redis.stop();
  const loadAtEnd = loadAverage();
  const defaultCapacity = await memoryCapacity(DEFAULT_MAX_MB * MB, loadConfig(subgraph.env).limits);

  const summary = Object.fromEntries(
    targets.map(({ name }) => {
      const runs = measurements.filter((m) => m.target === name);
      return [
        name,
        {
          requestsPerSecond: median(runs.map((m) => m.requestsPerSecond)),
          p50Ms: median(runs.map((m) => m.p50Ms)),
          p99Ms: median(runs.map((m) => m.p99Ms)),
          cpuUsPerRequest: median(runs.map((m) => m.cpuUsPerRequest)),
          idleRssMb: median(runs.map((m) => m.idleRssMb)),
          peakRssMb: Math.max(...runs.map((m) => m.peakRssMb)),
        },
      ];
    }),
  ) as Record<Target["name"], Summary>;
  const ratios = computeRatios(summary);
  const memory = {
    requests: MEMORY_REQUESTS,
    notSent: growthRun.notSent,
    rssBeforeMb,
    rssRightAfterMb,
    rssAfterMb,
    growthMb: rssAfterMb - rssBeforeMb,
    growthBeforeGcMb: rssRightAfterMb - rssBeforeMb,
    /** What the memory store counts for one send (its limit entries and its challenge), over the run. */
    storeBytesPerSend: storeBytesPerSend / (MEMORY_REQUESTS - growthRun.notSent),
    /** Settled RSS growth per send. */
    rssBytesPerSend: ((rssAfterMb - rssBeforeMb) * MB) / (MEMORY_REQUESTS - growthRun.notSent),
    defaultBoundMb: DEFAULT_MAX_MB,
    defaultCapacitySendsPerHour: defaultCapacity.sendsPerHour,
    defaultCapacityWithKeysSendsPerHour: defaultCapacity.sendsPerHourWithKeys,
    flood,
  };
  const memoryLines = [
    `RSS growth over ${memory.requests} distinct destinations: ${memory.growthMb.toFixed(1)} MB settled (target < 64), ${memory.growthBeforeGcMb.toFixed(1)} MB right after the run; ${memory.notSent} not OtpSent`,
    `memory store: ${memory.storeBytesPerSend.toFixed(0)} bytes counted per send (${memory.rssBytesPerSend.toFixed(0)} bytes of settled RSS); the default ${DEFAULT_MAX_MB} MB keeps ${memory.defaultCapacitySendsPerHour} sends an hour (${memory.defaultCapacityWithKeysSendsPerHour} with idempotency keys)`,
    `flood past a ${flood.boundMb} MB bound (capacity ${flood.capacity} sends): ${flood.requests} requests, ${flood.sent} sent, ${flood.saturated} refused as saturated; the first ${flood.repeated} again: ${flood.sentAgain} sent`,
  ];
  if (memoryOnly) {
    process.stdout.write(`${memoryLines.join("\n")}\n`);
    return;
  }

  process.stdout.write(
    [
      "",
      `median of ${ROUNDS} rounds, ${CONNECTIONS} connections, ${DURATION_S} s each; load average ${loadAtEnd} at the end`,
      ...summaryTable(summary),
      "",
      ...ratioLines(ratios),
      ...memoryLines,
      "",
      hostileLines(hostile),
    ].join("\n"),
  );

  const results = {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      os: `${platform()} ${release()} ${arch()}`,
      node: process.version,
    },
    loadAverage: { start: loadAtStart, end: loadAtEnd },
    options: {
      short,
      connections: CONNECTIONS,
      durationSeconds: DURATION_S,
      warmupSeconds: WARMUP_S,
      settleSeconds: SETTLE_MS / 1000,
      rounds: ROUNDS,
    },
    summary,
    ratios,
    memory,
    hostile,
    measurements,
  };
  await mkdir(`${root}bench/results`, { recursive: true });
  await writeFile(`${root}bench/results/latest.json`, `${JSON.stringify(results, null, 2)}\n`);
}

/** One round: every target once, in an order that rotates with the round. */
async function runRound(targets: Target[], round: number, measurements: Measurement[]): Promise<void> {
  const order = targets.map((_, i) => targets[(i + round) % targets.length]) as Target[];
  for (const target of order) {
    const m = await measure(target, round + 1, round * 10_000_000);
    measurements.push(m);
    process.stdout.write(
      `round ${m.round} ${m.target.padEnd(9)} ${m.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${m.p50Ms} ms  p99 ${m.p99Ms} ms  CPU ${m.cpuUsPerRequest.toFixed(0)} µs/req  RSS ${m.idleRssMb.toFixed(0)} idle, ${m.peakRssMb.toFixed(0)} peak MB  non-2xx ${m.non2xx}  errors ${m.errors}  not ${target.scenario === "send" ? "OtpSent" : "refused"} ${m.unexpected}  load ${m.load}\n`,
    );
  }
}

interface Summary {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerRequest: number;
  idleRssMb: number;
  peakRssMb: number;
}

function computeRatios(summary: Record<Target["name"], Summary>) {
  const vs = (a: Summary, b: Summary) => ({
    throughput: a.requestsPerSecond / b.requestsPerSecond,
    p99: a.p99Ms / b.p99Ms,
    cpuPerRequest: a.cpuUsPerRequest / b.cpuUsPerRequest,
  });
  const { subgraph } = summary;
  return {
    subgraphVsPeer: vs(subgraph, summary.peer),
    redisVsPeer: vs(summary.redis, summary.peer),
    subgraphVsCeiling: vs(subgraph, summary.ceiling),
    subgraphVsMercurius: vs(subgraph, summary.mercurius),
    ceilingVsMercurius: vs(summary.ceiling, summary.mercurius),
    subgraphVsFloor: vs(subgraph, summary.floor),
    traced: vs(summary.traced, subgraph),
    cappedVsSend: vs(summary.capped, subgraph),
    policyVsSend: vs(summary.policy, subgraph),
    invalidVsSend: vs(summary.invalid, subgraph),
    rssIdleVsCeiling: subgraph.idleRssMb / summary.ceiling.idleRssMb,
    rssPeakVsCeiling: subgraph.peakRssMb / summary.ceiling.peakRssMb,
  };
}

function summaryTable(summary: Record<Target["name"], Summary>): string[] {
  return [
    "| target    |   req/s | p50 ms | p99 ms | CPU µs/req | idle RSS MB | peak RSS MB |",
    "| --------- | ------: | -----: | -----: | ---------: | ----------: | ----------: |",
    ...TARGETS.map((name) => {
      const s = summary[name];
      return `| ${name.padEnd(9)} | ${s.requestsPerSecond.toFixed(0).padStart(7)} | ${String(s.p50Ms).padStart(6)} | ${String(s.p99Ms).padStart(6)} | ${s.cpuUsPerRequest.toFixed(0).padStart(10)} | ${s.idleRssMb.toFixed(0).padStart(11)} | ${s.peakRssMb.toFixed(0).padStart(11)} |`;
    }),
  ];
}

function ratioLines(r: ReturnType<typeof computeRatios>): string[] {
  const x = (value: number) => `${value.toFixed(2)}x`;
  const pair = (v: { throughput: number; p99: number }) => `throughput ${x(v.throughput)}, p99 ${x(v.p99)}`;
  return [
    `subgraph/peer:      ${pair(r.subgraphVsPeer)} (targets >= 1.60x, <= 0.60x)`,
    `redis/peer:         ${pair(r.redisVsPeer)} (targets >= 1.60x, <= 0.60x)`,
    `subgraph/ceiling:   ${pair(r.subgraphVsCeiling)} (targets >= 0.85x, <= 1.20x)`,
    `subgraph/mercurius: ${pair(r.subgraphVsMercurius)} (aim >= 0.50x)`,
    `ceiling/mercurius:  ${pair(r.ceilingVsMercurius)}`,
    `subgraph/floor:     ${pair(r.subgraphVsFloor)}`,
    `refused/sent:       capped ${x(r.cappedVsSend.throughput)}, policy ${x(r.policyVsSend.throughput)}, invalid ${x(r.invalidVsSend.throughput)} the send path's throughput (target >= 2.00x)`,
    `tracing on/off:     ${pair(r.traced)} (every request traced, exported over OTLP/HTTP to a local sink)`,
    `RSS vs ceiling:     idle ${x(r.rssIdleVsCeiling)}, peak under load ${x(r.rssPeakVsCeiling)}`,
    // The same targets as costs: CPU of the target process per request (throughput >= t is cost <= 1/t).
    `CPU per request:    subgraph/peer ${x(r.subgraphVsPeer.cpuPerRequest)} (<= ${x(1 / 1.6)}), subgraph/ceiling ${x(r.subgraphVsCeiling.cpuPerRequest)} (<= ${x(1 / 0.85)}), redis/peer ${x(r.redisVsPeer.cpuPerRequest)}`,
    `                    refused/sent: capped ${x(r.cappedVsSend.cpuPerRequest)}, policy ${x(r.policyVsSend.cpuPerRequest)}, invalid ${x(r.invalidVsSend.cpuPerRequest)} (<= 0.50x); subgraph/mercurius ${x(r.subgraphVsMercurius.cpuPerRequest)}`,
  ];
}

/** The bytes the subgraph's memory store counts, from its /metrics. */
async function storeBytes(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^otp_memory_store_bytes (\d+)$/m.exec(text)?.[1] ?? Number.NaN);
}

/**
 * A subgraph whose memory store has a 1 MB bound, flooded with three times the sends it keeps (distinct
 * destinations, devices and client IPs, as from a botnet), then the first of them again.
 */
async function floodPastCapacity(subgraph: Target) {
  const boundMb = 1;
  const env = { ...subgraph.env, OTP_MEMORY_MAX_MB: String(boundMb) };
  const { sendsPerHour: capacity } = await memoryCapacity(boundMb * MB, loadConfig(env).limits);
  const { child, port } = await start(subgraph.script, env);
  const requests = capacity * 3;
  const flood = await load(port, { amount: requests, offset: 95_000_000 });
  const repeated = Math.min(requests, 2_000);
  const again = await load(port, { amount: repeated, offset: 95_000_000 });
  await stop(child);
  return {
    boundMb,
    capacity,
    requests,
    sent: requests - flood.notSent,
    saturated: flood.saturated,
    repeated,
    sentAgain: repeated - again.notSent,
  };
}

await main();
