import { print } from "graphql";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { expectSentAsAnswered, type Answer } from "../helpers/outage.js";
import { command, SENTINEL_NAME, startSentinelSet, type SentinelSet } from "../helpers/sentinel.js";
import { json, startUpstream, type Upstream } from "../helpers/upstream.js";
import { STATE_SECRET } from "./fixtures.js";

const redisUrl = inject("redisUrl");
const CAP = 3;
/** Traffic must be served again within this long after the primary is lost. */
const RESUME_BOUND_MS = 20_000;

describe.skipIf(redisUrl === null)("Redis Sentinel failover", () => {
  let redis: SentinelSet;
  let upstream: Upstream;
  let subgraph: TestApp;
  beforeAll(async () => {
    redis = await startSentinelSet();
    upstream = await startUpstream(
      json(200, { success: true, message: "request processed successfully", data: { otp: 731905 } }),
    );
    subgraph = await startTestApp({
      OTP_MODE: "live",
      PHONE_BASE_URL: upstream.url,
      OTP_STORE: "redis",
      REDIS_SENTINELS: redis.sentinels,
      REDIS_SENTINEL_NAME: SENTINEL_NAME,
      OTP_STATE_SECRET: STATE_SECRET,
      OTP_COOLDOWN_SECONDS: "0",
      OTP_MAX_PER_DESTINATION_PER_HOUR: String(CAP),
      OTP_MAX_PER_DEVICE_PER_HOUR: "0",
      OTP_MAX_PER_IP_PER_HOUR: "0",
      // The clients walk consecutive numbers: the range cap would refuse them, and this is about failover.
      OTP_MAX_PER_RANGE_PER_HOUR: "0",
    });
  });
  afterAll(async () => {
    await subgraph.close();
    await upstream.close();
    await redis.stop();
  });

  async function requestOtp(phone: string): Promise<Answer> {
    const response = await fetch(subgraph.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: print(RequestOtpDocument),
        variables: { input: { phone: { phone, country: "IN", deviceId: "failover-device" } } },
      }),
    });
    const body = (await response.json()) as {
      data: { requestOtp: { __typename: string } } | null;
      errors?: { extensions?: { code?: string } }[];
    };
    const result = body.data?.requestOtp.__typename ?? body.errors?.[0]?.extensions?.code ?? "none";
    return { phone, at: Date.now(), result };
  }

  const storeUp = async () => {
    const text = await (await fetch(subgraph.url.replace("/graphql", "/metrics"))).text();
    return Number(/^otp_store_up (\d+)$/m.exec(text)?.[1]);
  };
  const readyz = async () => (await fetch(subgraph.url.replace("/graphql", "/readyz"))).status;

  it("fails closed while the primary is lost, serves again on the promoted replica, and the caps hold", async () => {
    const answers: Answer[] = [];
    const ready: number[] = [];
    let n = 0;
    const next = () => `+9190${String(++n).padStart(8, "0")}`;
    const send = async () => {
      const answer = await requestOtp(next());
      answers.push(answer);
      ready.push(await readyz());
      return answer;
    };

    // Four clients keep sending throughout; the primary is killed under them.
    let stopped = false;
    const clients = Array.from({ length: 4 }, async () => {
      while (!stopped) await send();
    });
    const sentCount = () => answers.filter((answer) => answer.result === "OtpSent").length;
    await waitFor(() => sentCount() >= 20, 10_000);
    expect(answers.every((answer) => answer.result === "OtpSent")).toBe(true);
    expect(await redis.currentPrimaryPort()).toBe(redis.primaryPort);

    expect(await storeUp()).toBe(1);
    redis.killPrimary();
    const killedAt = Date.now();
    // The client sees the connection drop: the gauge says so while sends are refused.
    let storeDownSeen = false;
    const watchStore = (async () => {
      while (!storeDownSeen && Date.now() - killedAt < RESUME_BOUND_MS) {
        storeDownSeen = (await storeUp()) === 0;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    // Served again: 40 answers in a row, after the last refusal, are OtpSent.
    const resumed = () => {
      const lastFailure = answers.findLastIndex((answer) => answer.result !== "OtpSent");
      return lastFailure >= 0 && answers.length - lastFailure > 40;
    };
    await waitFor(resumed, RESUME_BOUND_MS).catch(() => undefined);
    stopped = true;
    await Promise.all([...clients, watchStore]);

    const failures = answers.filter((answer) => answer.result !== "OtpSent");
    const lastFailure = failures.at(-1);
    const resumedMs = lastFailure ? lastFailure.at - killedAt : Number.NaN;
    process.stdout.write(
      `Sentinel failover: ${failures.length} of ${answers.length} requests refused with SERVICE_UNAVAILABLE; served again ${resumedMs} ms after the primary was killed (bound ${RESUME_BOUND_MS} ms)\n`,
    );

    // The failover was real: requests were refused and /readyz said so, then traffic resumed within the bound.
    expect(failures.length).toBeGreaterThan(0);
    expect(new Set(failures.map((answer) => answer.result))).toEqual(new Set(["SERVICE_UNAVAILABLE"]));
    expect(ready).toContain(503);
    expect(resumed()).toBe(true);
    expect(resumedMs).toBeLessThan(RESUME_BOUND_MS);
    expect(ready.at(-1)).toBe(200);
    expect(storeDownSeen).toBe(true);
    expect(await storeUp()).toBe(1);

    // No OTP went out while the limits could not be checked: what reached the provider is exactly what was
    // answered OtpSent, destination by destination.
    expectSentAsAnswered(upstream.requests, answers);

    // Serving on the promoted replica, without a restart.
    expect(await redis.currentPrimaryPort()).toBe(redis.replicaPort);
    expect(String(await command(redis.replicaPort, "ROLE"))).toMatch(/^master/);

    // The caps hold on the new primary: CAP sends to one destination, then RateLimited.
    const phone = next();
    const capped: string[] = [];
    for (let i = 0; i < CAP + 2; i++) capped.push((await requestOtp(phone)).result);
    expect(capped).toEqual([...Array<string>(CAP).fill("OtpSent"), "RateLimited", "RateLimited"]);
  });
});

/** Poll `condition` until it holds; rejects after `ms`. */
async function waitFor(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
