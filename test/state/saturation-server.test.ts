import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ConfigError } from "../../src/config.js";
import { MemoryStore } from "../../src/otp/store/memory.js";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { execute } from "../helpers/client.js";
import { startRedisServer, type RedisServer } from "../helpers/redis.js";
import { startCapturedApp, type CapturedApp } from "../observability/capture.js";

const redisUrl = inject("redisUrl");
const SECRET = "state-secret-for-the-eviction-tests-0123";

describe("a saturated memory store, over HTTP", () => {
  let subgraph: CapturedApp;
  beforeAll(async () => {
    // A small store filled with live counters (an hour each) before the first request.
    const store = new MemoryStore({ maxBytes: 64 * 1024 });
    for (let index = 0; ; index++) {
      const request = {
        cooldown: null,
        caps: [{ name: "ip" as const, key: `ip:${index}`, max: 30, keep: 30, windowMs: 3_600_000 }],
      };
      if (
        await store.consumeLimits(request).then(
          () => false,
          () => true,
        )
      )
        break;
    }
    subgraph = await startCapturedApp({}, { store });
  });
  afterAll(() => subgraph.close());

  it("answers RateLimited (LOCAL_POLICY), counts it in a metric and warns, once per interval", async () => {
    for (let index = 0; index < 3; index++) {
      const input = { phone: { phone: `+91987654321${index}`, country: "IN", deviceId: `device-${index}` } };
      const { body } = await execute(subgraph.url, RequestOtpDocument, { input });
      expect(body.data?.requestOtp).toMatchObject({
        __typename: "RateLimited",
        limitedBy: "LOCAL_POLICY",
        retryable: true,
        providerCode: null,
        message: "The service is receiving too many OTP requests. Please try again later.",
      });
    }
    const metrics = await (await fetch(`${subgraph.origin}/metrics`)).text();
    expect(metrics).toMatch(/^otp_store_saturated_total 3$/m);
    // Full: at least half the bound (a counter table doubles when it grows, and the next doubling did not fit).
    expect(Number(/^otp_memory_store_bytes (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(32 * 1024);
    expect(metrics).toMatch(/^otp_memory_store_max_bytes 65536$/m);
    const warnings = subgraph.lines().filter((line) => line.level === 40 && /saturated/.test(line.msg ?? ""));
    expect(warnings).toMatchObject([
      {
        msg: "state store saturated: new sends refused (RateLimited), no live state forgotten",
        store: "memory",
        refused: 1,
      },
    ]);
  });
});

describe.skipIf(redisUrl === null)("Redis maxmemory-policy at start", () => {
  let server: RedisServer;
  let admin: Redis;
  let locked: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
    // A Redis that refuses CONFIG, as managed ones often do.
    locked = await startRedisServer(["--rename-command", "CONFIG", ""]);
  });
  afterAll(async () => {
    await admin.quit();
    await Promise.all([server.stop(), locked.stop()]);
  });
  const start = (url: string, env: Record<string, string> = {}) =>
    startCapturedApp({ OTP_STORE: "redis", REDIS_URL: url, OTP_STATE_SECRET: SECRET, ...env });
  const warnings = (app: CapturedApp) =>
    app.lines().filter((line) => line.level === 40 && /maxmemory-policy/.test(line.msg ?? ""));

  it.each(["allkeys-lru", "allkeys-random", "volatile-ttl", "volatile-lru"])(
    "refuses to start on %s, saying how to fix it",
    async (policy) => {
      await admin.config("SET", "maxmemory-policy", policy);
      const started = start(server.url);
      await expect(started).rejects.toBeInstanceOf(ConfigError);
      await expect(started).rejects.toThrow(
        `Redis maxmemory-policy is ${policy}: at maxmemory it evicts live limits and idempotency records; ` +
          "set maxmemory-policy to noeviction, or OTP_REDIS_ALLOW_EVICTION=true to start anyway",
      );
    },
  );

  it("starts on such a policy with OTP_REDIS_ALLOW_EVICTION=true, and warns", async () => {
    await admin.config("SET", "maxmemory-policy", "allkeys-lru");
    const app = await start(server.url, { OTP_REDIS_ALLOW_EVICTION: "true" });
    try {
      expect(warnings(app)).toMatchObject([{ policy: "allkeys-lru" }]);
    } finally {
      await app.close();
    }
  });

  it("starts on noeviction with no warning", async () => {
    await admin.config("SET", "maxmemory-policy", "noeviction");
    const app = await start(server.url);
    try {
      expect(warnings(app)).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it("starts when Redis refuses CONFIG GET, and warns that the policy was not checked", async () => {
    const app = await start(locked.url);
    try {
      expect(warnings(app).map((line) => line.msg)).toEqual([
        "Redis refused CONFIG GET maxmemory-policy: it was not checked (set maxmemory-policy to noeviction)",
      ]);
    } finally {
      await app.close();
    }
  });
});
