/**
 * The use case and what it needs: one upstream client per provider, the adapters of the configured providers, the
 * state store. Decorates the instance with `otp` and `store`; on close, releases the store and the clients.
 */
import type { FastifyPluginAsync } from "fastify";
import { fastifyPlugin } from "fastify-plugin";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { scrubBody } from "../log.js";
import type { Metrics } from "../metrics.js";
import { OtpService } from "../otp/otp-service.js";
import { createStore } from "../otp/store/index.js";
import { StateKeys } from "../otp/store/state-keys.js";
import type { OtpStore } from "../otp/store/store.js";
import { UpstreamClient } from "../providers/http-client.js";
import { createAdapters, PROVIDER_MEMBERS, type ProviderId } from "../providers/registry.js";
import type { HumanVerificationPolicy } from "../otp/human-verification.js";
import { createHumanVerifier, SITEVERIFY_URLS } from "../providers/human-verifier/verifier.js";

declare module "fastify" {
  interface FastifyInstance {
    otp: OtpService;
    store: OtpStore;
  }
}

export interface OtpPluginOptions {
  config: Config;
  logger: Logger;
  metrics: Metrics;
}

const otpPlugin: FastifyPluginAsync<OtpPluginOptions> = async (fastify, { config, logger, metrics }) => {
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
    });
    clients.push(client);
    return client;
  };
  const store = createStore(config.store, {
    onConnectionChange: (state, error) => {
      if (state === "up") logger.info({ store: config.store.kind }, "state store reachable");
      else logger.error({ store: config.store.kind, err: error?.message }, "state store unreachable");
    },
  });
  const otp = new OtpService({
    providers: PROVIDER_MEMBERS,
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
    stateKeys: config.stateSecret === null ? StateKeys.random() : new StateKeys(config.stateSecret),
    // A first request holds its idempotency key for longer than a send can take.
    idempotencyLeaseSeconds: Math.ceil(config.providerTimeoutMs / 1000) + 10,
    onStateError: (error, step) => {
      logger.error({ step, err: error.message }, "state store failed after an OTP was sent");
    },
    observe: (observation) => {
      metrics.requestOtp(observation.provider, observation.result);
      metrics.policy(observation);
      logger.info(observation, "requestOtp");
    },
  });
  fastify.decorate("otp", otp);
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
  const { mode, after, failOpen, verifier } = config.humanVerification;
  if (mode === "off" || verifier === null) return {};
  if (verifier.secret === null || verifier.siteKey === null) {
    throw new Error("the human verifier has no secret or site key (loadConfig requires them in live mode)");
  }
  const settings = {
    kind: verifier.kind,
    secret: verifier.secret,
    siteKey: verifier.siteKey,
    url: verifier.url ?? SITEVERIFY_URLS[verifier.kind],
  };
  return {
    humanVerification: { mode, after, failOpen, verifier: createHumanVerifier(settings, client(), logger) },
  };
}

export default fastifyPlugin(otpPlugin, { name: "otp" });
