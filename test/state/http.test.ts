import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { execute, post } from "../helpers/client.js";
import { startRedisServer, uniquePrefix, type RedisServer } from "../helpers/redis.js";
import { json, startUpstream, type Upstream } from "../helpers/upstream.js";
import { phoneInput, STATE_SECRET } from "./fixtures.js";

const redisUrl = inject("redisUrl");
const SENT = json(200, { success: true, message: "request processed successfully", data: { otp: 111222 } });

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream(SENT);
});
afterAll(() => upstream.close());

const apps: TestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  upstream.requests.length = 0;
});

async function liveApp(env: Record<string, string> = {}): Promise<TestApp> {
  const app = await startTestApp({ PHONE_BASE_URL: upstream.url, ...env });
  apps.push(app);
  return app;
}

function send(url: string, suffix: number, headers: Record<string, string> = {}, idempotencyKey?: string) {
  return execute(
    url,
    RequestOtpDocument,
    { input: phoneInput(suffix, `device-${suffix}`), idempotencyKey },
    headers,
  );
}

describe("at most one requestOtp per operation", () => {
  const selection = "{ __typename }";
  it.each([
    [
      "aliases",
      `mutation ($a: RequestOtpInput!) { a: requestOtp(input: $a) ${selection} b: requestOtp(input: $a) ${selection} }`,
    ],
    [
      "the same field twice",
      `mutation ($a: RequestOtpInput!) { requestOtp(input: $a) ${selection} requestOtp(input: $a) ${selection} }`,
    ],
    [
      "a fragment",
      `mutation ($a: RequestOtpInput!) { requestOtp(input: $a) ${selection} ...More }
       fragment More on Mutation { again: requestOtp(input: $a) ${selection} }`,
    ],
    [
      "an inline fragment",
      `mutation ($a: RequestOtpInput!) { requestOtp(input: $a) ${selection} ... on Mutation { x: requestOtp(input: $a) ${selection} } }`,
    ],
  ])("refuses two through %s before anything runs", async (_how, query) => {
    const subgraph = await liveApp({ OTP_COOLDOWN_SECONDS: "0" });
    const { body } = await post(subgraph.url, { query, variables: { a: phoneInput(1) } });
    expect(body.data).toBeUndefined();
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: "At most one requestOtp per operation; this one has 2.",
        extensions: expect.objectContaining({ code: "GRAPHQL_VALIDATION_FAILED" }) as unknown,
      }),
    ]);
    expect(upstream.requests).toHaveLength(0);
  });

  it("runs one, and one per operation of a document with several", async () => {
    const subgraph = await liveApp();
    const query = `mutation One($a: RequestOtpInput!) { requestOtp(input: $a) { __typename } }
                   mutation Two($a: RequestOtpInput!) { requestOtp(input: $a) { __typename } }`;
    const { body } = await post(subgraph.url, {
      query,
      operationName: "Two",
      variables: { a: phoneInput(2) },
    });
    expect(body).toEqual({ data: { requestOtp: { __typename: "OtpSent" } } });
    expect(upstream.requests).toHaveLength(1);
  });

  it("keeps batched HTTP requests off", async () => {
    const subgraph = await liveApp();
    const one = { query: "mutation ($a: RequestOtpInput!) { requestOtp(input: $a) { __typename } }" };
    const { status } = await post(subgraph.url, [
      { ...one, variables: { a: phoneInput(3) } },
      { ...one, variables: { a: phoneInput(4) } },
    ]);
    expect(status).toBe(400);
    expect(upstream.requests).toHaveLength(0);
  });
});

describe("ROUTER_SECRET", () => {
  const secret = "router-secret-for-tests-0123456789abcdef";

  it("answers 401 and runs nothing without the right router-authorization header", async () => {
    const subgraph = await liveApp({ ROUTER_SECRET: secret });
    for (const headers of [
      {} as Record<string, string>,
      { "router-authorization": "wrong" },
      { "router-authorization": `${secret}x` },
    ]) {
      const { status, body } = await send(subgraph.url, 10, headers);
      expect(status).toBe(401);
      expect(body).toEqual({
        errors: [{ message: "Unauthorized", extensions: { code: "UNAUTHENTICATED" } }],
      });
    }
    const get = await fetch(`${subgraph.url}?query=${encodeURIComponent("{ __typename }")}`);
    expect(get.status).toBe(401);
    expect(upstream.requests).toHaveLength(0);

    const allowed = await send(subgraph.url, 10, { "router-authorization": secret });
    expect(allowed.status).toBe(200);
    expect(allowed.body.data?.requestOtp.__typename).toBe("OtpSent");
    expect(upstream.requests).toHaveLength(1);
  });

  it("leaves the probes open", async () => {
    const subgraph = await liveApp({ ROUTER_SECRET: secret });
    const base = subgraph.url.replace("/graphql", "");
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });
});

describe("client IP for the per-IP cap", () => {
  const limits = { OTP_COOLDOWN_SECONDS: "0", OTP_MAX_PER_IP_PER_HOUR: "1" };
  const xff = (value: string) => ({ "x-forwarded-for": value });

  it("is the socket address when TRUST_PROXY is 0: X-Forwarded-For is ignored", async () => {
    const subgraph = await liveApp(limits);
    expect((await send(subgraph.url, 20, xff("203.0.113.1"))).body.data?.requestOtp.__typename).toBe(
      "OtpSent",
    );
    expect((await send(subgraph.url, 21, xff("203.0.113.2"))).body.data?.requestOtp).toMatchObject({
      __typename: "RateLimited",
      limitedBy: "LOCAL_POLICY",
      providerCode: null,
      retryAfterSeconds: 3600,
    });
  });

  it("is the address the trusted hop saw when TRUST_PROXY is 1; what the client wrote before it is not trusted", async () => {
    const subgraph = await liveApp({ ...limits, TRUST_PROXY: "1" });
    const typename = async (suffix: number, headers: Record<string, string>) =>
      (await send(subgraph.url, suffix, headers)).body.data?.requestOtp.__typename;
    expect(await typename(30, xff("203.0.113.1"))).toBe("OtpSent");
    expect(await typename(31, xff("203.0.113.2"))).toBe("OtpSent");
    expect(await typename(32, xff("198.51.100.9, 203.0.113.1"))).toBe("RateLimited");
    expect(await typename(33, {})).toBe("OtpSent");
    expect(upstream.requests).toHaveLength(3);
  });
});

describe.skipIf(redisUrl === null)("OtpChallenge entities from Redis", () => {
  it("N references in one _entities call cost one store round trip", async () => {
    const prefix = uniquePrefix("entities");
    const subgraph = await liveApp({
      OTP_STORE: "redis",
      REDIS_URL: redisUrl ?? "",
      REDIS_KEY_PREFIX: prefix,
      OTP_STATE_SECRET: STATE_SECRET,
    });
    const ids: string[] = [];
    for (const suffix of [40, 41, 42]) {
      const result = (await send(subgraph.url, suffix)).body.data?.requestOtp;
      if (result?.__typename !== "OtpSent") throw new Error("expected OtpSent");
      ids.push(result.challenge.id);
    }

    const observer = new Redis(redisUrl ?? "");
    const probe = new Redis(redisUrl ?? "");
    const monitor = await observer.monitor();
    const commands: string[][] = [];
    monitor.on("monitor", (_time: string, args: string[]) => {
      if (args.some((arg) => arg.startsWith(prefix))) commands.push(args);
    });
    try {
      const representations = [...ids, "unknown-1", "unknown-2"].map((id) => ({
        __typename: "OtpChallenge",
        id,
      }));
      const { body } = await post<{ _entities: ({ id: string } | null)[] }>(subgraph.url, {
        query: `query ($r: [_Any!]!) { _entities(representations: $r) { ... on OtpChallenge { id provider } } }`,
        variables: { r: representations },
      });
      expect(body.data?._entities).toEqual([...ids.map((id) => ({ id, provider: "PHONE" })), null, null]);
      // MONITOR reports commands in the order Redis ran them: once the marker shows, the rest has too.
      const marker = `${prefix}marker`;
      await probe.get(marker);
      await waitFor(() => commands.some((args) => args.includes(marker)));
      const storeCommands = commands.filter((args) => !args.includes(marker));
      expect(storeCommands).toHaveLength(1);
      expect(storeCommands[0]?.[0]?.toLowerCase()).toBe("mget");
      expect(storeCommands[0]?.slice(1)).toHaveLength(5);
    } finally {
      monitor.disconnect();
      observer.disconnect();
      probe.disconnect();
    }
  });
});

describe.skipIf(redisUrl === null)("Redis outage", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis.stop());

  it("fails closed (SERVICE_UNAVAILABLE, /readyz 503, nothing sent) and recovers by itself", async () => {
    const subgraph = await liveApp({
      OTP_STORE: "redis",
      REDIS_URL: redis.url,
      OTP_STATE_SECRET: STATE_SECRET,
    });
    const readyz = subgraph.url.replace("/graphql", "/readyz");
    expect((await send(subgraph.url, 50)).body.data?.requestOtp.__typename).toBe("OtpSent");
    expect((await fetch(readyz)).status).toBe(200);

    await redis.stop();
    for (const key of [undefined, "outage-key"]) {
      const { status, body } = await send(subgraph.url, 51, {}, key);
      expect(status).toBe(200);
      expect(body.data).toBeNull();
      expect(body.errors).toEqual([
        {
          message: "The service is temporarily unavailable. Please try again shortly.",
          path: ["requestOtp"],
          extensions: { code: "SERVICE_UNAVAILABLE" },
        },
      ]);
    }
    expect((await fetch(readyz)).status).toBe(503);
    expect(upstream.requests).toHaveLength(1);

    await redis.start();
    await waitFor(async () => (await fetch(readyz)).status === 200);
    expect((await send(subgraph.url, 51, {}, "outage-key")).body.data?.requestOtp.__typename).toBe("OtpSent");
    expect(upstream.requests).toHaveLength(2);
  });
});

/** Poll `condition` until it holds, for at most 10 s. */
async function waitFor(condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
