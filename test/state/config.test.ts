import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

const secret = "s".repeat(32);

describe("state settings", () => {
  it("uses the memory store and a per-process secret by default", () => {
    expect(loadConfig({})).toMatchObject({ store: { kind: "memory" }, stateSecret: null });
  });

  it("reads the Redis store with its key prefix and the shared secret", () => {
    const config = loadConfig({
      OTP_STORE: "redis",
      REDIS_URL: "redis://10.0.0.5:6379",
      OTP_STATE_SECRET: secret,
    });
    expect(config.store).toEqual({
      kind: "redis",
      url: "redis://10.0.0.5:6379",
      keyPrefix: "otp:",
      allowEviction: false,
    });
    expect(config.stateSecret).toBe(secret);
    const prefixed = loadConfig({
      OTP_STORE: "redis",
      REDIS_URL: "redis://10.0.0.5:6379",
      OTP_STATE_SECRET: secret,
      REDIS_KEY_PREFIX: "otp-staging:",
    });
    expect(prefixed.store).toMatchObject({ keyPrefix: "otp-staging:" });
  });

  it("reads rediss:// (TLS) URLs with credentials and a database as given", () => {
    const url = "rediss://otp:p%40ss@redis.internal.example:6380/2";
    const config = loadConfig({ OTP_STORE: "redis", REDIS_URL: url, OTP_STATE_SECRET: secret });
    expect(config.store).toEqual({ kind: "redis", url, keyPrefix: "otp:", allowEviction: false });
  });

  it("reads Sentinel: the sentinels, the monitored name and both passwords", () => {
    const config = loadConfig({
      OTP_STORE: "redis",
      REDIS_SENTINELS: "10.0.0.1:26379, sentinel-2.internal:26380,[::1]:26381",
      REDIS_SENTINEL_NAME: "otp-primary",
      REDIS_PASSWORD: "data-password",
      REDIS_SENTINEL_PASSWORD: "sentinel-password",
      OTP_STATE_SECRET: secret,
    });
    expect(config.store).toEqual({
      kind: "redis",
      keyPrefix: "otp:",
      allowEviction: false,
      sentinel: {
        sentinels: [
          { host: "10.0.0.1", port: 26379 },
          { host: "sentinel-2.internal", port: 26380 },
          { host: "::1", port: 26381 },
        ],
        name: "otp-primary",
        password: "data-password",
        sentinelPassword: "sentinel-password",
      },
    });
    const open = loadConfig({
      OTP_STORE: "redis",
      REDIS_SENTINELS: "127.0.0.1:26379",
      REDIS_SENTINEL_NAME: "mymaster",
      OTP_STATE_SECRET: secret,
    });
    expect(open.store).toMatchObject({ sentinel: { password: null, sentinelPassword: null } });
  });

  it("bounds the memory store by megabytes, and reads the Redis eviction override", () => {
    expect(loadConfig({ OTP_MEMORY_MAX_MB: "64" }).store).toEqual({ kind: "memory", maxMb: 64 });
    const redis = { OTP_STORE: "redis", REDIS_URL: "redis://10.0.0.5:6379", OTP_STATE_SECRET: secret };
    expect(loadConfig({ ...redis, OTP_REDIS_ALLOW_EVICTION: "true" }).store).toMatchObject({
      allowEviction: true,
    });
  });

  it.each([
    [{ OTP_STORE: "redis", OTP_STATE_SECRET: secret }, "REDIS_URL: required when OTP_STORE=redis"],
    [
      { OTP_STORE: "redis", REDIS_SENTINELS: "10.0.0.1:26379", OTP_STATE_SECRET: secret },
      "REDIS_SENTINEL_NAME: required with REDIS_SENTINELS",
    ],
    [
      { OTP_STORE: "redis", REDIS_SENTINELS: "10.0.0.1", REDIS_SENTINEL_NAME: "m", OTP_STATE_SECRET: secret },
      "REDIS_SENTINELS: expected host:port",
    ],
    [
      { OTP_STORE: "redis", REDIS_SENTINELS: "h:0", REDIS_SENTINEL_NAME: "m", OTP_STATE_SECRET: secret },
      "REDIS_SENTINELS: expected host:port",
    ],
    [
      {
        OTP_STORE: "redis",
        REDIS_URL: "redis://127.0.0.1:6379",
        REDIS_SENTINELS: "10.0.0.1:26379",
        REDIS_SENTINEL_NAME: "m",
        OTP_STATE_SECRET: secret,
      },
      "REDIS_URL, REDIS_SENTINELS: set one of them, not both",
    ],
    [
      { OTP_STORE: "redis", REDIS_URL: "redis://127.0.0.1:6379" },
      "OTP_STATE_SECRET: required when OTP_STORE=redis",
    ],
    [{ OTP_STATE_SECRET: "too-short-secret" }, "OTP_STATE_SECRET"],
    [{ OTP_STORE: "redis", REDIS_URL: "http://127.0.0.1:6379", OTP_STATE_SECRET: secret }, "REDIS_URL"],
  ])("refuses %j, naming %s, never the secret", (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
    expect(() => loadConfig(env)).toThrow(/^(?!.*too-short-secret)/);
  });
});
