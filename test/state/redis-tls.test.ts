import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startService } from "../../src/bootstrap.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { RedisStore } from "../../src/otp/store/redis.js";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { execute } from "../helpers/client.js";
import { startRedisCluster, type RedisCluster } from "../helpers/cluster.js";
import { uniquePrefix } from "../helpers/redis.js";
import { SENTINEL_NAME } from "../helpers/sentinel.js";
import { makeCertificates, startTlsRedisServer, type TestCertificates } from "../helpers/tls.js";
import { json, startUpstream, type Upstream } from "../helpers/upstream.js";
import { phoneInput, STATE_SECRET } from "./fixtures.js";
import { configRefusal } from "../helpers/config.js";

const redisUrl = inject("redisUrl");
const SENT = json(200, { success: true, message: "request processed successfully", data: { otp: 111222 } });

describe.skipIf(redisUrl === null)("TLS to Redis with a private CA (REDIS_TLS_CA_FILE)", () => {
  let certificates: TestCertificates;
  let redis: Awaited<ReturnType<typeof startTlsRedisServer>>;
  let upstream: Upstream;
  beforeAll(async () => {
    certificates = await makeCertificates();
    redis = await startTlsRedisServer(certificates);
    upstream = await startUpstream(SENT);
  });
  afterAll(async () => {
    await upstream.close();
    await redis.stop();
    await certificates.remove();
  });

  const env = (caFile: string | null) => ({
    OTP_MODE: "live",
    OTP_ALLOW_NO_ROUTER_SECRET: "true",
    LOG_LEVEL: "silent",
    PHONE_BASE_URL: upstream.url,
    OTP_STORE: "redis",
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: uniquePrefix("tls"),
    OTP_STATE_SECRET: STATE_SECRET,
    ...(caFile !== null && { REDIS_TLS_CA_FILE: caFile }),
  });

  it("serves over rediss:// with the CA that signed Redis's certificate", async () => {
    const subgraph: TestApp = await startTestApp(env(certificates.caFile));
    try {
      expect((await fetch(`${subgraph.origin}/readyz`)).status).toBe(200);
      const { body } = await execute(subgraph.url, RequestOtpDocument, { input: phoneInput(1) });
      expect(body.data?.requestOtp.__typename).toBe("OtpSent");
      expect(upstream.requests).toHaveLength(1);
    } finally {
      await subgraph.close();
    }
  });

  it("refuses to start with a CA that did not sign it, saying so", async () => {
    const started = startService(env(certificates.otherCaFile));
    await expect(started).rejects.toThrow(ConfigError);
    await expect(started).rejects.toThrow(
      "Redis's TLS certificate was refused (SELF_SIGNED_CERT_IN_CHAIN): it is not signed by a CA this service trusts: REDIS_TLS_CA_FILE must hold the CA that signed it",
    );
  });

  it("never turns TLS off: without the CA, the system's CAs refuse it too", async () => {
    await expect(startService(env(null))).rejects.toThrow(/^Redis's TLS certificate was refused/);
  });

  it("keeps a running store failing closed (not ready) while the certificate is refused", async () => {
    const store = new RedisStore({
      url: redis.url,
      tls: { ca: await readFile(certificates.otherCaFile, "utf8") },
      keyPrefix: uniquePrefix("tls"),
    });
    try {
      expect(await store.ping()).toBe(false);
      await expect(store.loadChallenges(["x".repeat(24)])).rejects.toThrow("did not answer");
      expect(await store.certificateProblem()).toMatch(/REDIS_TLS_CA_FILE must hold the CA/);
    } finally {
      await store.close();
    }
    const trusted = new RedisStore({
      url: redis.url,
      tls: { ca: await readFile(certificates.caFile, "utf8") },
      keyPrefix: uniquePrefix("tls"),
    });
    try {
      expect(await trusted.ping()).toBe(true);
      expect(await trusted.certificateProblem()).toBeNull();
    } finally {
      await trusted.close();
    }
  });
});

describe.skipIf(redisUrl === null)("TLS to Sentinel and its Redis with a private CA", () => {
  let certificates: TestCertificates;
  let primary: Awaited<ReturnType<typeof startTlsRedisServer>>;
  let sentinel: Awaited<ReturnType<typeof startTlsRedisServer>>;
  beforeAll(async () => {
    certificates = await makeCertificates();
    primary = await startTlsRedisServer(certificates);
    // One sentinel (quorum 1) that reaches the primary over TLS and is reached over TLS.
    const config = join(certificates.dir, "sentinel.conf");
    await writeFile(
      config,
      [`sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${primary.port} 1`, "tls-replication yes", ""].join("\n"),
    );
    sentinel = await startTlsRedisServer(certificates, ["--sentinel"], config);
  });
  afterAll(async () => {
    await sentinel.stop();
    await primary.stop();
    await certificates.remove();
  });

  const sentinelEnv = (caFile: string) => ({
    OTP_MODE: "live",
    OTP_ALLOW_NO_ROUTER_SECRET: "true",
    LOG_LEVEL: "silent",
    PHONE_BASE_URL: "http://127.0.0.1:9",
    OTP_STORE: "redis",
    REDIS_SENTINELS: `127.0.0.1:${sentinel.port}`,
    REDIS_SENTINEL_NAME: SENTINEL_NAME,
    REDIS_KEY_PREFIX: uniquePrefix("tls-sentinel"),
    OTP_STATE_SECRET: STATE_SECRET,
    REDIS_TLS_CA_FILE: caFile,
  });

  it("asks the sentinels and reaches the primary over TLS, and is ready", async () => {
    const subgraph = await startTestApp(sentinelEnv(certificates.caFile));
    try {
      expect((await fetch(`${subgraph.origin}/readyz`)).status).toBe(200);
      expect(await subgraph.app.http.store.loadChallenges(["y".repeat(24)])).toEqual([null]);
    } finally {
      await subgraph.close();
    }
  });

  it("refuses to start with a CA that did not sign their certificates", async () => {
    await expect(startService(sentinelEnv(certificates.otherCaFile))).rejects.toThrow(
      /^Redis's TLS certificate was refused \(SELF_SIGNED_CERT_IN_CHAIN\)/,
    );
  });
});

describe.skipIf(redisUrl === null)("TLS to a Redis Cluster with a private CA", () => {
  let certificates: TestCertificates;
  let cluster: RedisCluster;
  let upstream: Upstream;
  beforeAll(async () => {
    certificates = await makeCertificates();
    // Three primaries speaking TLS only, to clients and on the cluster bus.
    cluster = await startRedisCluster({ replicas: 0, tls: certificates });
    upstream = await startUpstream(SENT);
  }, 60_000);
  afterAll(async () => {
    await upstream.close();
    await cluster.stop();
    await certificates.remove();
  });

  const clusterEnv = (caFile: string) => ({
    OTP_MODE: "live",
    OTP_ALLOW_NO_ROUTER_SECRET: "true",
    LOG_LEVEL: "silent",
    PHONE_BASE_URL: upstream.url,
    OTP_STORE: "redis",
    REDIS_CLUSTER_NODES: cluster.seeds,
    REDIS_KEY_PREFIX: uniquePrefix("tls-cluster"),
    OTP_STATE_SECRET: STATE_SECRET,
    REDIS_TLS_CA_FILE: caFile,
  });

  it("serves with the CA that signed the nodes' certificates", async () => {
    const subgraph = await startTestApp(clusterEnv(certificates.caFile));
    try {
      expect((await fetch(`${subgraph.origin}/readyz`)).status).toBe(200);
      const { body } = await execute(subgraph.url, RequestOtpDocument, { input: phoneInput(7) });
      expect(body.data?.requestOtp.__typename).toBe("OtpSent");
    } finally {
      await subgraph.close();
    }
  });

  it("refuses to start with a CA that did not sign them", async () => {
    await expect(startService(clusterEnv(certificates.otherCaFile))).rejects.toThrow(
      /^Redis's TLS certificate was refused \(SELF_SIGNED_CERT_IN_CHAIN\)/,
    );
  });
});

describe("REDIS_TLS_CA_FILE and REDIS_TLS settings", () => {
  let certificates: TestCertificates;
  beforeAll(async () => {
    certificates = await makeCertificates();
  });
  afterAll(() => certificates.remove());
  const redis = { OTP_STORE: "redis", OTP_STATE_SECRET: STATE_SECRET };

  it("reads the CA into the store's TLS settings, for rediss:// and Sentinel", async () => {
    const ca = await readFile(certificates.caFile, "utf8");
    const url = "rediss://redis.internal:6380";
    expect(loadConfig({ ...redis, REDIS_URL: url, REDIS_TLS_CA_FILE: certificates.caFile }).store).toEqual({
      kind: "redis",
      url,
      keyPrefix: "otp:",
      allowEviction: false,
      tls: { ca },
    });
    const sentinel = { ...redis, REDIS_SENTINELS: "10.0.0.1:26379", REDIS_SENTINEL_NAME: "otp" };
    expect(loadConfig({ ...sentinel, REDIS_TLS_CA_FILE: certificates.caFile }).store).toMatchObject({
      tls: { ca },
    });
    expect(loadConfig({ ...sentinel, REDIS_TLS: "true" }).store).toMatchObject({ tls: { ca: null } });
    expect(loadConfig(sentinel).store).not.toHaveProperty("tls");
  });

  it("refuses a CA that would go unused, or a file that is not one", () => {
    expect(
      configRefusal({
        ...redis,
        REDIS_URL: "redis://redis.internal:6379",
        REDIS_TLS_CA_FILE: certificates.caFile,
      }),
    ).toBe("REDIS_TLS_CA_FILE: needs TLS, but REDIS_URL is redis://; use rediss://");
    expect(
      configRefusal({
        ...redis,
        REDIS_SENTINELS: "10.0.0.1:26379",
        REDIS_SENTINEL_NAME: "otp",
        REDIS_TLS: "false",
        REDIS_TLS_CA_FILE: certificates.caFile,
      }),
    ).toBe("REDIS_TLS, REDIS_TLS_CA_FILE: a CA file needs TLS; unset REDIS_TLS=false");
    expect(
      configRefusal({ ...redis, REDIS_URL: "rediss://r:6380", REDIS_TLS_CA_FILE: certificates.keyFile }),
    ).toMatch(/^REDIS_TLS_CA_FILE: the file .*server\.key holds no PEM certificate/);
    expect(
      configRefusal({ ...redis, REDIS_URL: "rediss://r:6380", REDIS_TLS_CA_FILE: "/nonexistent/ca.pem" }),
    ).toBe("REDIS_TLS_CA_FILE: the file /nonexistent/ca.pem cannot be read (ENOENT)");
  });
});
