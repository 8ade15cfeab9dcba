import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { LocalLimits, type SendSubject } from "../../src/otp/limits.js";
import { RedisStore } from "../../src/otp/store/redis.js";
import { StateKeys } from "../../src/otp/store/state-keys.js";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { expectSentAsAnswered, type Answer } from "../helpers/outage.js";
import { execute } from "../helpers/client.js";
import { startRedisCluster, until, type RedisCluster } from "../helpers/cluster.js";
import { command } from "../helpers/sentinel.js";
import { json, startUpstream, type Upstream } from "../helpers/upstream.js";
import { phoneInput, STATE_SECRET } from "./fixtures.js";
import { DEFAULT_LIMITS } from "../helpers/limits.js";

const redisUrl = inject("redisUrl");
const SENT = json(200, { success: true, message: "request processed successfully", data: { otp: 333444 } });
const PREFIX = "otp-cluster-test:";
/** Traffic must be served again within this long after the primary is lost. */
const RESUME_BOUND_MS = 20_000;

/** One cluster for the whole file: its tests share it, each on destinations of its own. */
describe.skipIf(redisUrl === null)("Redis Cluster (REDIS_CLUSTER_NODES)", () => {
  let cluster: RedisCluster;
  let upstream: Upstream;
  let replicas: TestApp[];
  beforeAll(async () => {
    cluster = await startRedisCluster();
    upstream = await startUpstream(async (request, res, req) => {
      // A slow provider widens the window in which the two replicas race.
      await new Promise((resolve) => setTimeout(resolve, 10));
      await SENT(request, res, req);
    });
    const env = {
      OTP_MODE: "live",
      OTP_ALLOW_NO_ROUTER_SECRET: "true",
      LOG_LEVEL: "silent",
      PHONE_BASE_URL: upstream.url,
      OTP_STORE: "redis",
      REDIS_CLUSTER_NODES: cluster.seeds,
      REDIS_KEY_PREFIX: PREFIX,
      OTP_STATE_SECRET: STATE_SECRET,
      OTP_COOLDOWN_SECONDS: "0",
      OTP_MAX_PER_DESTINATION_PER_HOUR: "5",
      OTP_MAX_PER_DEVICE_PER_HOUR: "0",
      OTP_MAX_PER_IP_PER_HOUR: "0",
      OTP_MAX_PER_RANGE_PER_HOUR: "0",
      // Every kind of key in each send: the global budgets too.
      OTP_MAX_PER_PROVIDER_PER_HOUR: "100000",
      OTP_MAX_PER_COUNTRY_PER_HOUR: "100000",
    };
    replicas = [await startTestApp(env), await startTestApp(env)];
  }, 60_000);
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.close()));
    await upstream.close();
    await cluster.stop();
  });

  /** Request number `index` goes to replica `index % 2`. */
  const requestAt = (index: number, input: ReturnType<typeof phoneInput>, idempotencyKey?: string) =>
    execute(replicas[index % 2]?.url ?? "", RequestOtpDocument, { input, idempotencyKey });
  const result = (response: Awaited<ReturnType<typeof requestAt>>) =>
    response.body.data?.requestOtp.__typename ?? response.body.errors?.[0]?.extensions?.code ?? "none";

  it("two replicas never pass a destination's cap together under concurrent load", async () => {
    upstream.requests.length = 0;
    const responses = await Promise.all(
      Array.from({ length: 60 }, (_, index) => requestAt(index, phoneInput(1, `device-${index}`))),
    );
    const results = responses.map(result);
    expect(results.filter((name) => name === "OtpSent")).toHaveLength(5);
    expect(results.filter((name) => name === "RateLimited")).toHaveLength(55);
    expect(upstream.requests).toHaveLength(5);
  });

  it("sends once for one idempotency key used on both replicas at the same moment", async () => {
    upstream.requests.length = 0;
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, index) => requestAt(index, phoneInput(2), "cluster-key")),
    );
    const ids = new Set(
      responses.map((response) => {
        const answer = response.body.data?.requestOtp;
        return answer?.__typename === "OtpSent" ? answer.challenge.id : answer?.__typename;
      }),
    );
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^[\w-]{24}$/);
    expect(upstream.requests).toHaveLength(1);
  });

  it("keeps challenges that the other replica loads, and every key in the one slot of the hash tag", async () => {
    const response = await requestAt(0, phoneInput(3));
    const answer = response.body.data?.requestOtp;
    if (answer?.__typename !== "OtpSent") throw new Error(`expected OtpSent, got ${answer?.__typename}`);
    const [loaded] = await (replicas[1]?.app.http.store.loadChallenges([answer.challenge.id]) ?? []);
    expect(loaded).toMatchObject({
      id: answer.challenge.id,
      destinationHint: answer.challenge.destinationHint,
    });

    // All of this file's state is on the primary of the tag's slot, none on the others.
    const holder = await cluster.primaryOf(`{${PREFIX}}`);
    const keysOn = async (port: number) => ((await command(port, "KEYS", `{${PREFIX}}*`)) as string[]).length;
    expect(await keysOn(holder)).toBeGreaterThan(10);
    const primaries = await Promise.all(cluster.ports.map((port) => command(port, "ROLE")));
    const others = cluster.ports.filter(
      (port, index) => port !== holder && (primaries[index] as string[])[0] === "master",
    );
    expect(others).toHaveLength(2);
    for (const port of others) expect(await keysOn(port)).toBe(0);
  });

  it("counts sends written under OTP_STATE_SECRET_PREVIOUS (its keys in the same slot)", async () => {
    const store = new RedisStore({
      cluster: { nodes: [{ host: "127.0.0.1", port: cluster.ports[0] ?? 0 }], password: null },
      keyPrefix: PREFIX,
    });
    try {
      const subject: SendSubject = {
        provider: "PHONE",
        destination: "+919800000042",
        phone: "+919800000042",
        country: "IN",
        device: "rotating-device",
        clientIp: "203.0.113.42",
      };
      const policy = { ...DEFAULT_LIMITS, cooldownSeconds: 0, maxPerDestinationPerHour: 2 };
      const limits = (keys: StateKeys) => new LocalLimits(policy, store, keys);
      const old = "old-cluster-state-secret-0123456789abcd";
      expect(await limits(new StateKeys(old)).consume(subject)).toMatchObject({ kind: "counted" });
      expect(await limits(new StateKeys(STATE_SECRET, old)).consume(subject)).toMatchObject({
        kind: "counted",
      });
      expect(await limits(new StateKeys(STATE_SECRET, old)).consume(subject)).toMatchObject({
        limit: "destination",
      });
    } finally {
      await store.close();
    }
  });

  it("fails closed while the state's primary is lost, serves on the promoted replica, and a cap set before holds", async () => {
    const [subgraph] = replicas;
    if (!subgraph) throw new Error("no replica");
    const send = async (phone: ReturnType<typeof phoneInput>) =>
      result(await execute(subgraph.url, RequestOtpDocument, { input: phone }));
    const readyz = async () => (await fetch(`${subgraph.origin}/readyz`)).status;

    // A destination capped before the failover, and the replica holding all of it.
    const capped = phoneInput(4);
    for (let i = 0; i < 5; i++) expect(await send(capped)).toBe("OtpSent");
    expect(await send(capped)).toBe("RateLimited");
    const primary = await cluster.primaryOf(`{${PREFIX}}`);
    const replica = await cluster.replicaOf(primary);
    await until(
      () => command(primary, "ROLE"),
      (role) => {
        const [, offset, followers] = role as [string, number, [string, string, string][]];
        return followers.some(([, port, acked]) => Number(port) === replica && Number(acked) >= offset);
      },
    );

    upstream.requests.length = 0;
    const answers: Answer[] = [];
    const ready: number[] = [];
    let n = 0;
    let stopped = false;
    const clients = Array.from({ length: 4 }, async () => {
      while (!stopped) {
        const phone = phoneInput(1_000_000 + ++n);
        const answered = await send(phone);
        answers.push({ phone: phone.phone.phone, at: Date.now(), result: answered });
        ready.push(await readyz());
      }
    });
    await until(
      () => Promise.resolve(answers.length),
      (count) => count >= 20,
    );
    expect(answers.every((answer) => answer.result === "OtpSent")).toBe(true);

    cluster.kill(primary);
    const killedAt = Date.now();
    // Served again: 40 answers after the last refusal, or after the kill when the client's retries on CLUSTERDOWN
    // outlasted the promotion (a loaded machine) and nothing was refused.
    const resumed = () => {
      const lastFailure = answers.findLastIndex((answer) => answer.result !== "OtpSent");
      const firstAfterKill = answers.findIndex((answer) => answer.at >= killedAt);
      return firstAfterKill >= 0 && answers.length - Math.max(lastFailure, firstAfterKill) > 40;
    };
    await until(() => Promise.resolve(resumed()), Boolean).catch(() => undefined);
    stopped = true;
    await Promise.all(clients);

    const failures = answers.filter((answer) => answer.result !== "OtpSent");
    const resumedMs = (failures.at(-1)?.at ?? Number.NaN) - killedAt;
    process.stdout.write(
      `Cluster failover: ${failures.length} of ${answers.length} requests refused with SERVICE_UNAVAILABLE; served again ${resumedMs} ms after the primary was killed (bound ${RESUME_BOUND_MS} ms)\n`,
    );
    // Whether any request met the outage depends on the machine's speed; those that did were refused, typed.
    if (failures.length > 0) {
      expect(new Set(failures.map((answer) => answer.result))).toEqual(new Set(["SERVICE_UNAVAILABLE"]));
      expect(ready).toContain(503);
      expect(resumedMs).toBeLessThan(RESUME_BOUND_MS);
    }
    expect(resumed()).toBe(true);
    expect(await readyz()).toBe(200);

    // Nothing went out while the limits could not be checked.
    expectSentAsAnswered(upstream.requests, answers);

    // The replica was promoted, holds the state, and the cap set before the failover still holds.
    expect(await cluster.primaryOf(`{${PREFIX}}`)).toBe(replica);
    expect(await send(capped)).toBe("RateLimited");
  }, 60_000);
});
