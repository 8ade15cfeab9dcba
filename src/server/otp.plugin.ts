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
import type { Tracing } from "../tracing/tracing.js";
import { UpstreamClient } from "../providers/http-client.js";
import { createAdapters, PROVIDER_MEMBERS, type ProviderId } from "../providers/registry.js";

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
}

const otpPlugin: FastifyPluginAsync<OtpPluginOptions> = async (
  fastify,
  { config, logger, metrics, tracing },
) => {
  const clients: UpstreamClient[] = [];
  const clientFor = (provider: ProviderId) => {
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
  metrics.storeConnection(config.store.kind === "memory");
  const untracedStore = createStore(config.store, {
    onConnectionChange: (state, error) => {
      metrics.storeConnection(state === "up");
      if (state === "up") logger.info({ store: config.store.kind }, "state store reachable");
      else logger.error({ store: config.store.kind, err: error?.message }, "state store unreachable");
    },
  });
  const store = tracing ? tracing.store(untracedStore, config.store.kind) : untracedStore;
  const otp = new OtpService({
    providers: PROVIDER_MEMBERS,
    adapters: createAdapters(config.providers, clientFor),
    store,
    sandbox: config.mode === "sandbox",
    limits: config.limits,
    stateKeys: config.stateSecret === null ? StateKeys.random() : new StateKeys(config.stateSecret),
    // A first request holds its idempotency key for longer than a send can take.
    idempotencyLeaseSeconds: Math.ceil(config.providerTimeoutMs / 1000) + 10,
    onStateError: (error, step) => {
      logger.error({ step, err: error.message }, "state store failed after an OTP was sent");
    },
    observe: (observation) => {
      metrics.requestOtp(observation.provider, observation.result);
      logger.info(observation, "requestOtp");
    },
  });
  const providerOf = new Map(PROVIDER_MEMBERS.map(({ id, inputMember }) => [inputMember, id]));
  const entry: Pick<OtpService, "requestOtp"> = tracing
    ? {
        requestOtp: (input, context) => {
          const member = Object.keys(input).find((key) => input[key] != null);
          const provider = member === undefined ? undefined : providerOf.get(member);
          return tracing.requestOtp(provider, () => otp.requestOtp(input, context));
        },
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

export default fastifyPlugin(otpPlugin, { name: "otp" });
