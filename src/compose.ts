/**
 * The composition root: the use case and what it needs, built from the configuration. One upstream client per
 * provider (and the human verifier), the state store, the adapters of the configured providers, the human
 * verifier, and the use case with its log lines and metrics. No HTTP here: `server/otp.plugin.ts` adapts it.
 */
import type { Logger } from "pino";
import { ConfigError, type Config } from "./config.js";
import { scrubBody } from "./log.js";
import type { Metrics } from "./metrics.js";
import type { HumanVerificationPolicy } from "./otp/human-verification.js";
import { OtpService, type OtpServiceOptions } from "./otp/otp-service.js";
import { createStore, givenStore } from "./otp/store/index.js";
import { StateKeys } from "./otp/store/state-keys.js";
import type { OtpStore } from "./otp/store/store.js";
import { UpstreamClient } from "./providers/http-client.js";
import { createHumanVerifier } from "./providers/human-verifier/verifier.js";
import { createAdapters, type ProviderId } from "./providers/registry.js";
import type { Tracing } from "./tracing/tracing.js";

export interface ComposeOptions {
  logger: Logger;
  metrics: Metrics;
  /** Spans of upstream calls, store calls and `requestOtp`; null when tracing is off. */
  tracing: Tracing | null;
  /** A store to use instead of the configured one; closed with the rest. */
  store?: OtpStore;
}

/** The built service: what the HTTP layer serves, and how to release it. */
export interface Composition {
  /** What resolvers call: the use case, in a span of its own when tracing is on. */
  otp: Pick<OtpService, "requestOtp">;
  /** The store as the use case calls it (traced when tracing is on), for the readiness probe. */
  store: OtpStore;
  /** The line printed after the start-up message about the store's capacity; null when there is none. */
  capacityLine(): Promise<string | null>;
  /** Release the store and the upstream clients. */
  close(): Promise<void>;
}

/** During a flood of refusals, one warning every this long (with the count), not one per request. */
const SATURATION_WARN_INTERVAL_MS = 10_000;

/** Build the service from `config`; throws `ConfigError` when the store refuses to start (a setting to fix). */
export async function composeService(config: Config, options: ComposeOptions): Promise<Composition> {
  const { logger, metrics, tracing } = options;
  const { clientFor, clients } = upstreamClients(config, options);
  const handle = options.store
    ? givenStore(options.store, metrics)
    : createStore(config.store, { gauges: metrics, log: logger });
  const problem = await handle.startupProblem().catch(async (error: unknown) => {
    await handle.store.close();
    throw error;
  });
  if (problem !== null) {
    await handle.store.close();
    throw new ConfigError(problem);
  }
  const store = tracing ? tracing.store(handle.store, config.store.kind) : handle.store;
  const otp = new OtpService({
    adapters: createAdapters(config.providers, clientFor),
    store,
    sandbox: config.mode === "sandbox",
    limits: config.limits,
    phonePolicy: config.phonePolicy,
    ...humanVerification(config, () => clientFor("HUMAN_VERIFIER"), logger),
    stateKeys:
      config.stateSecret === null
        ? StateKeys.random()
        : new StateKeys(config.stateSecret, config.stateSecretPrevious),
    // A first request holds its idempotency key for longer than a send can take.
    idempotencyLeaseSeconds: Math.ceil(config.providerTimeoutMs / 1000) + 10,
    ...useCaseReports(config, logger, metrics),
  });
  return {
    otp: tracing ? tracedEntry(otp, tracing) : otp,
    store,
    capacityLine: () => handle.capacityLine(config.limits),
    close: async () => {
      await store.close();
      await Promise.all(clients.map((client) => client.close()));
    },
  };
}

/**
 * One upstream client per caller (a provider, or the human verifier), each timed, logged and traced; `clients` to
 * close them.
 */
export function upstreamClients(
  config: Config,
  { logger, metrics, tracing }: Pick<ComposeOptions, "logger" | "metrics" | "tracing">,
) {
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
  return { clientFor, clients };
}

/** `requestOtp` in a span named after the provider the request is for. */
function tracedEntry(otp: OtpService, tracing: Tracing): Pick<OtpService, "requestOtp"> {
  return {
    requestOtp: (request, context) =>
      tracing.requestOtp(request.provider, () => otp.requestOtp(request, context)),
  };
}

/** The human verification the use case gets: none when it is off. */
function humanVerification(
  config: Config,
  client: () => UpstreamClient,
  logger: Logger,
): { humanVerification?: HumanVerificationPolicy } {
  const { mode, after, failOpen, maxPerIpPerMinute, verifier } = config.humanVerification;
  if (mode === "off" || verifier === null) return {};
  return {
    humanVerification: {
      mode,
      after,
      failOpen,
      maxPerIpPerMinute,
      verifier: createHumanVerifier(verifier, client(), logger),
    },
  };
}

type Reports = "onBudgetReached" | "onVerifierUnavailable" | "onStateError" | "onSaturated" | "observe";

/** What the use case reports, as log lines and metrics. */
function useCaseReports(config: Config, logger: Logger, metrics: Metrics): Pick<OtpServiceOptions, Reports> {
  let warnedAt = Number.NEGATIVE_INFINITY;
  let refusedSinceWarning = 0;
  return {
    onBudgetReached: (reached) => {
      logger.warn(reached, "OTP budget reached: sends refused until the hour's count falls");
    },
    onVerifierUnavailable: (provider) => {
      logger.warn(
        { provider },
        "human verifier unavailable: send let through (OTP_HUMAN_VERIFIER_FAIL_OPEN)",
      );
    },
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
  };
}
