/**
 * `npm run bench:store` — what one send costs the state store, by backend: the calls a send makes (its limits
 * checked and counted, its idempotency key claimed and completed, its challenge saved), for the memory store, a
 * single Redis and (with `--cluster`) a Redis Cluster of three primaries and three replicas, each started here on
 * loopback (by the tests' own helpers, `test/helpers/redis.ts` and `cluster.ts`). Each backend runs twice: with one state secret, and during a rotation (`OTP_STATE_SECRET_PREVIOUS` set,
 * with state written under the previous secret beforehand, so the previous keys are really read).
 *
 * Prints, per backend and secret setting (median of `ROUNDS`), sends per second as this process drives them
 * (`CONCURRENCY` in flight), and for Redis the server's own time per send (from the primaries' `INFO commandstats`:
 * the microseconds their scripts and commands took, divided by the sends), which is what bounds the sends one Redis
 * (one shard) carries: 1e6 / µs per send. On a machine shared with other work, the client's sends/s are noisy; the
 * server's µs per send much less.
 *
 *   npm run bench:store                  memory and single Redis, 20 000 sends each
 *   npm run bench:store -- --cluster     and a Redis Cluster (all state on one shard: one hash tag)
 *   npm run bench:store -- --sends=5000  fewer sends
 */
import { randomUUID } from "node:crypto";
import { loadConfig } from "../src/config.js";
import { LocalLimits, type LimitPolicy, type SendSubject } from "../src/otp/limits.js";
import type { Challenge } from "../src/otp/model.js";
import { MemoryStore } from "../src/otp/store/memory.js";
import { RedisStore } from "../src/otp/store/redis.js";
import { StateKeys } from "../src/otp/store/state-keys.js";
import { CHALLENGE_TTL_SECONDS, type OtpStore } from "../src/otp/store/store.js";
import { startRedisCluster } from "../test/helpers/cluster.js";
import { command, startRedisServer } from "../test/helpers/redis.js";

const SENDS = Number(
  /^--sends=(\d+)$/.exec(process.argv.find((arg) => arg.startsWith("--sends=")) ?? "")?.[1] ?? 20_000,
);
const WITH_CLUSTER = process.argv.includes("--cluster");
const CONCURRENCY = 16;
/** Each measurement this many times; the median is reported. */
const ROUNDS = 3;
const OLD = "bench-old-state-secret-0123456789abcdef";
const NEW = "bench-new-state-secret-0123456789abcdef";

/**
 * The live limits as `src/config.ts` defaults them. The provider and country budgets are off, as by default: each
 * keeps every send of the hour, which the memory store walks on every send (a cost of its own, not of the backend
 * compared here).
 */
const POLICY: LimitPolicy = loadConfig({ OTP_MODE: "live", OTP_ALLOW_NO_ROUTER_SECRET: "true" }).limits;

/** Sends made so far by this process: each gets a handset of its own. */
let handsets = 0;

/**
 * Send `index` of a run: its own handset (phone destinations are counted by their E.164 number, so no two sends of
 * the process share one, each in its own number range), device and IP (so nothing refuses), one provider and
 * country.
 */
function subject(run: string, index: number): SendSubject {
  const phone = `+919${String(handsets++).padStart(6, "0")}000`;
  return {
    provider: "PHONE",
    destination: phone,
    phone,
    country: "IN",
    device: `${run}-device-${index}`,
    clientIp: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`,
  };
}

function challenge(): Challenge {
  const now = new Date();
  return {
    id: randomUUID().replaceAll("-", "").slice(0, 24),
    provider: "PHONE",
    destinationHint: "******3210",
    sentAt: now,
    expiresAt: null,
    resendAvailableAt: new Date(now.getTime() + 30_000),
    attemptsAllowed: null,
    providerMessage: "request processed successfully",
    providerReference: null,
  };
}

/** One send's store calls, as the use case makes them. */
async function send(
  store: OtpStore,
  limits: LocalLimits,
  keys: StateKeys,
  run: string,
  index: number,
  salt: string,
) {
  const refused = await limits.consume(subject(run, index));
  if (refused.kind !== "counted") throw new Error(`send ${index} refused: ${JSON.stringify(refused)}`);
  const key = keys.key("idempotency", `${run}-${salt}-${index}`);
  const previousKey = keys.previousKey("idempotency", `${run}-${salt}-${index}`);
  const token = randomUUID();
  const claimed = await store.claimIdempotency(key, keys.key("fingerprint", run), token, 20, previousKey);
  if (claimed !== null) throw new Error(`idempotency key ${index} was taken`);
  const sent = challenge();
  await store.saveChallenge(sent, CHALLENGE_TTL_SECONDS);
  await store.completeIdempotency(
    key,
    token,
    { kind: "OtpSent", challenge: sent, devOtp: null },
    24 * 60 * 60,
  );
}

/** `count` sends, `CONCURRENCY` at a time; answers sends per second. */
async function drive(
  store: OtpStore,
  keys: StateKeys,
  run: string,
  count: number,
  salt = "",
): Promise<number> {
  const limits = new LocalLimits(POLICY, store, keys);
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await send(store, limits, keys, run, next++, salt);
    }),
  );
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

interface Row {
  backend: string;
  secrets: "one" | "rotating";
  sendsPerSecond: number;
  /** Redis only: the server's microseconds per send (all nodes together). */
  serverUsPerSend: number | null;
}

/** Microseconds the primaries among `ports` spent in commands (replicas apply the same writes: not counted). */
async function serverUs(ports: readonly number[]): Promise<number> {
  let total = 0;
  for (const port of ports) {
    const [role] = (await command(port, "ROLE")) as [string];
    if (role !== "master") continue;
    const info = String(await command(port, "INFO", "commandstats"));
    for (const match of info.matchAll(/usec=(\d+)/g)) total += Number(match[1]);
  }
  return total;
}

async function resetStats(ports: readonly number[]): Promise<void> {
  for (const port of ports) await command(port, "CONFIG", "RESETSTAT");
}

/** The median of each measure over `ROUNDS` rounds, one secret and rotating alternating in each round. */
async function measure(backend: string, make: () => OtpStore, ports: readonly number[]): Promise<Row[]> {
  const rounds: Row[][] = [];
  for (let round = 0; round < ROUNDS; round++) rounds.push(await measureOnce(backend, make, ports));
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  return (["one", "rotating"] as const).map((secrets) => {
    const of = rounds.map((rows) => rows.find((row) => row.secrets === secrets));
    const us = of.map((row) => row?.serverUsPerSend ?? null);
    return {
      backend,
      secrets,
      sendsPerSecond: median(of.map((row) => row?.sendsPerSecond ?? 0)),
      serverUsPerSend: us.includes(null) ? null : median(us as number[]),
    };
  });
}

/** Run one backend with one secret, then rotating (previous-secret state written first). */
async function measureOnce(backend: string, make: () => OtpStore, ports: readonly number[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const secrets of ["one", "rotating"] as const) {
    const store = make();
    const run = `${backend}-${secrets}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    // The same devices and IPs, first under the old secret alone (other handsets, so no cooldown refuses): the
    // rotating run then finds state under their previous keys.
    if (secrets === "rotating") await drive(store, new StateKeys(OLD), run, SENDS, "old");
    const keys = secrets === "one" ? new StateKeys(NEW) : new StateKeys(NEW, OLD);
    // Warm up (scripts loaded, JIT), then measure on fresh destinations.
    await drive(store, keys, `${run}-warm`, Math.min(2000, SENDS));
    await resetStats(ports);
    const sendsPerSecond = await drive(store, keys, run, SENDS);
    const us = ports.length === 0 ? null : (await serverUs(ports)) / SENDS;
    rows.push({ backend, secrets, sendsPerSecond, serverUsPerSend: us });
    await store.close();
  }
  return rows;
}

async function main(): Promise<void> {
  const started: { stop(): Promise<void> }[] = [];
  try {
    const rows: Row[] = [];
    rows.push(...(await measure("memory", () => new MemoryStore(), [])));
    const single = await startRedisServer();
    started.push(single);
    rows.push(
      ...(await measure("redis", () => new RedisStore({ url: single.url, keyPrefix: "bench:" }), [
        single.port,
      ])),
    );
    if (WITH_CLUSTER) {
      const cluster = await startRedisCluster();
      started.push(cluster);
      const [seed = 0] = cluster.ports;
      const nodes = { cluster: { nodes: [{ host: "127.0.0.1", port: seed }], password: null } };
      rows.push(
        ...(await measure("cluster", () => new RedisStore({ ...nodes, keyPrefix: "bench:" }), cluster.ports)),
      );
    }
    report(rows);
  } finally {
    await Promise.all(started.map((server) => server.stop()));
  }
}

function report(rows: readonly Row[]): void {
  const lines = [
    `${SENDS} sends per measurement, ${CONCURRENCY} in flight, median of ${ROUNDS} rounds; Node ${process.version}`,
    "",
  ];
  lines.push("backend   secrets    sends/s   server µs/send   sends/s one server carries");
  for (const row of rows) {
    const us = row.serverUsPerSend;
    lines.push(
      [
        row.backend.padEnd(9),
        row.secrets.padEnd(9),
        row.sendsPerSecond.toFixed(0).padStart(8),
        (us === null ? "-" : us.toFixed(1)).padStart(15),
        (us === null ? "-" : (1e6 / us).toFixed(0)).padStart(28),
      ].join("  "),
    );
  }
  lines.push("");
  for (const backend of new Set(rows.map((row) => row.backend))) {
    const one = rows.find((row) => row.backend === backend && row.secrets === "one");
    const rotating = rows.find((row) => row.backend === backend && row.secrets === "rotating");
    if (!one || !rotating) continue;
    const server =
      one.serverUsPerSend !== null && rotating.serverUsPerSend !== null
        ? `, server time ${(rotating.serverUsPerSend / one.serverUsPerSend).toFixed(2)}x`
        : "";
    lines.push(
      `${backend}: during a rotation, ${(rotating.sendsPerSecond / one.sendsPerSecond).toFixed(2)}x the sends/s${server}`,
    );
  }
  const redis = rows.find((row) => row.backend === "redis" && row.secrets === "one");
  const cluster = rows.find((row) => row.backend === "cluster" && row.secrets === "one");
  if (redis && cluster) {
    lines.push(
      `cluster against single Redis: ${(cluster.sendsPerSecond / redis.sendsPerSecond).toFixed(2)}x the sends/s`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();
