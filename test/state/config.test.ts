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

  it("bounds the memory store by megabytes, and reads the Redis eviction override", () => {
    expect(loadConfig({ OTP_MEMORY_MAX_MB: "64" }).store).toEqual({ kind: "memory", maxMb: 64 });
    const redis = { OTP_STORE: "redis", REDIS_URL: "redis://10.0.0.5:6379", OTP_STATE_SECRET: secret };
    expect(loadConfig({ ...redis, OTP_REDIS_ALLOW_EVICTION: "true" }).store).toMatchObject({
      allowEviction: true,
    });
  });

  it.each([
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
