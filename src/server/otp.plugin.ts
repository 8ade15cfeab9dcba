/**
 * The use case and what it needs: one upstream client per provider, the adapters of the configured providers, the
 * state store. Decorates the instance with `otp` and `store`; on close, releases the store and the clients.
 */
import type { FastifyPluginAsync } from "fastify";
import { fastifyPlugin } from "fastify-plugin";
import type { Logger } from "pino";
import { ConfigError, type Config } from "../config.js";
import { scrubBody } from "../log.js";
import type { Metrics } from "../metrics.js";
import { OtpService } from "../otp/otp-service.js";
import { createStore } from "../otp/store/index.js";
import { MemoryStore } from "../otp/store/memory.js";
import { RedisStore, SAFE_EVICTION_POLICY } from "../otp/store/redis.js";
import { StateKeys } from "../otp/store/state-keys.js";
import type { OtpStore } from "../otp/store/store.js";
import type { Tracing } from "../tracing/tracing.js";
import { UpstreamClient } from "../providers/http-client.js";
import { createAdapters, type ProviderId } from "../providers/registry.js";
import type { HumanVerificationPolicy } from "../otp/human-verification.js";
import { createHumanVerifier, SITEVERIFY_URLS } from "../providers/human-verifier/verifier.js";

declare module "fastify" {
  interface FastifyInstance {
    /** What resolvers call: the use case, in a span of its own when tracing is on. */
    otp: Pick<OtpService, "requestOtp">;
    store: OtpStore;
  }
}

export interface OtpPluginOptions {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** Spans of upstream calls, store calls and `requestOtp`; null when tracing is off. */
  tracing: Tracing | null;
  /** A store to use instead of the configured one. */
  store?: OtpStore;
}

/** During a flood of refusals, one warning every this long (with the count), not one per request. */
const SATURATION_WARN_INTERVAL_MS = 10_000;

const otpPlugin: FastifyPluginAsync<OtpPluginOptions> = async (fastify, options) => {
  const { config, logger, metrics, tracing } = options;
  const clients: UpstreamClient[] = [];
  const clientFor = (provider: ProviderId | "HUMAN_VERIFIER") => {
    const client = new UpstreamClient({
      provider,
      timeoutMs: config.providerTimeoutMs,
      maxBodyBytes: config.providerMaxResponseBytes,
      resilience: config.resilience,
      observer: metrics.upstream(provider),
      logger,
      scrubBody,
      ...(tracing && { tracer: tracing.upstream(provider) }),
    });
    clients.push(client);
    return client;
  };
  // Redis counts as down until its first connection is up.
  metrics.storeConnection(options.store !== undefined || config.store.kind === "memory");
  const untracedStore =
    options.store ??
    createStore(config.store, {
      onConnectionChange: (state, error) => {
        metrics.storeConnection(state === "up");
        if (state === "up") logger.info({ store: config.store.kind }, "state store reachable");
        else logger.error({ store: config.store.kind, err: error?.message }, "state store unreachable");
      },
    });
  if (untracedStore instanceof MemoryStore) metrics.memoryStore(() => untracedStore.usage());
  if (untracedStore instanceof RedisStore) {
    const allowEviction = config.store.kind === "redis" && config.store.allowEviction;
    await checkEvictionPolicy(untracedStore, allowEviction, logger).catch(async (error: unknown) => {
      await untracedStore.close();
      throw error;
    });
  }
  const store = tracing ? tracing.store(untracedStore, config.store.kind) : untracedStore;
  let warnedAt = Number.NEGATIVE_INFINITY;
  let refusedSinceWarning = 0;
  const otp = new OtpService({
    adapters: createAdapters(config.providers, clientFor),
    store,
    sandbox: config.mode === "sandbox",
    limits: config.limits,
    phonePolicy: config.phonePolicy,
    ...humanVerification(config, () => clientFor("HUMAN_VERIFIER"), logger),
    onBudgetReached: (reached) => {
      logger.warn(reached, "OTP budget reached: sends refused until the hour's count falls");
    },
    onVerifierUnavailable: (provider) => {
      logger.warn(
        { provider },
        "human verifier unavailable: send let through (OTP_HUMAN_VERIFIER_FAIL_OPEN)",
      );
    },
    stateKeys:
      config.stateSecret === null
        ? StateKeys.random()
        : new StateKeys(config.stateSecret, config.stateSecretPrevious),
    // A first request holds its idempotency key for longer than a send can take.
    idempotencyLeaseSeconds: Math.ceil(config.providerTimeoutMs / 1000) + 10,
    onStateError: (error, step) => {
      logger.error({ step, err: error.message }, "state store failed after an OTP was sent");
    },
    onSaturated: (error) => {
      metrics.storeSaturated();
      refusedSinceWarning += 1;
      if (Date.now() - warnedAt < SATURATION_WARN_INTERVAL_MS) return;
      warnedAt = Date.now();
      logger.warn(
        { store: config.store.kind, refused: refusedSinceWarning, retryAfterMs: error.retryAfterMs },
        "state store saturated: new sends refused (RateLimited), no live state forgotten",
      );
      refusedSinceWarning = 0;
    },
    observe: (observation) => {
      metrics.requestOtp(observation.provider, observation.result);
      metrics.policy(observation);
      logger.info(observation, "requestOtp");
    },
  });
  const entry: Pick<OtpService, "requestOtp"> = tracing
    ? {
        requestOtp: (request, context) =>
          tracing.requestOtp(request.provider, () => otp.requestOtp(request, context)),
      }
    : otp;
  fastify.decorate("otp", entry);

  fastify.decorate("store", store);
  fastify.addHook("onClose", async () => {
    await store.close();
    await Promise.all(clients.map((client) => client.close()));
  });
  return Promise.resolve();
};

/** The human verification the use case gets: none when it is off. */
function humanVerification(
  config: Config,
  client: () => UpstreamClient,
  logger: Logger,
): { humanVerification?: HumanVerificationPolicy } {
  const { mode, after, failOpen, maxPerIpPerMinute, verifier } = config.humanVerification;
  if (mode === "off" || verifier === null) return {};
  if (verifier.secret === null || verifier.siteKey === null) {
    throw new Error("the human verifier has no secret or site key (loadConfig requires them in live mode)");
  }
  const settings = {
    ...verifier,
    secret: verifier.secret,
    siteKey: verifier.siteKey,
    url: verifier.url ?? SITEVERIFY_URLS[verifier.kind],
  };
  if (config.production && verifier.hostnames === null) {
    logger.warn(
      { verifier: verifier.kind },
      "OTP_HUMAN_VERIFIER_HOSTNAMES is not set: a proof solved on any page the verifier's keys allow passes; " +
        "set it to the hostnames of the pages that show the widget (required if the key's own domain check is off)",
    );
  }
  return {
    humanVerification: {
      mode,
      after,
      failOpen,
      maxPerIpPerMinute,
      verifier: createHumanVerifier(settings, client(), logger),
    },
  };
}

/**
 * Refuse to start on a Redis whose `maxmemory-policy` evicts keys (every key here has a TTL, so `volatile-*`
 * policies evict live limits as surely as `allkeys-*`), unless `OTP_REDIS_ALLOW_EVICTION=true`; warn when the
 * policy cannot be read (`CONFIG` refused, or Redis not reachable yet).
 */
async function checkEvictionPolicy(store: RedisStore, allowEviction: boolean, logger: Logger): Promise<void> {
  const advice = `set maxmemory-policy to ${SAFE_EVICTION_POLICY}`;
  let policy: string | null;
  try {
    policy = await store.evictionPolicy();
  } catch {
    // A certificate TLS refuses is a setting to fix: refused at start, as TLS is never turned off.
    const certificate = await store.certificateProblem();
    if (certificate !== null) throw new ConfigError(certificate);
    logger.warn(`Redis not reachable at start: its maxmemory-policy was not checked (${advice})`);
    return;
  }
  if (policy === null) {
    logger.warn(`Redis refused CONFIG GET maxmemory-policy: it was not checked (${advice})`);
    return;
  }
  if (policy === SAFE_EVICTION_POLICY) return;
  const problem = `Redis maxmemory-policy is ${policy}: at maxmemory it evicts live limits and idempotency records`;
  if (!allowEviction) {
    throw new ConfigError(`${problem}; ${advice}, or OTP_REDIS_ALLOW_EVICTION=true to start anyway`);
  }
  logger.warn({ policy }, `${problem} (started with OTP_REDIS_ALLOW_EVICTION=true; ${advice})`);
}

export default fastifyPlugin(otpPlugin, { name: "otp" });
