import { randomUUID } from "node:crypto";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { DestinationStream } from "pino";
import { composeService } from "./compose.js";
import type { Config } from "./config.js";
import type { OtpStore } from "./otp/store/store.js";
import { createLogger } from "./log.js";
import {
  applyServerLimits,
  capConnections,
  clientErrorHandler,
  refuseMalformedRequests,
} from "./server/connections.js";
import { RequestLogController } from "./server/request-log.js";
import { Metrics } from "./metrics.js";
import drainPlugin from "./server/drain.plugin.js";
import graphqlPlugin from "./server/graphql.plugin.js";
import metricsPlugin from "./server/metrics.plugin.js";
import otpPlugin from "./server/otp.plugin.js";
import probesPlugin from "./server/probes.plugin.js";
import routerAuthPlugin from "./server/router-auth.plugin.js";
import type { Tracing } from "./tracing/tracing.js";

/** What a caller may give besides the configuration. */
export interface AppOptions {
  /** Where log lines go (tests capture them); standard output when absent. */
  logDestination?: DestinationStream;
  /** A store to use instead of the configured one (tests give one already full); closed with the app. */
  store?: OtpStore;
}

/** The running HTTP application: `/graphql`, `/healthz`, `/readyz`, `/metrics`. */
export interface App {
  http: FastifyInstance;
  /** The line to print after the start-up message about the store's capacity (the memory store's); null for none. */
  capacityLine(): Promise<string | null>;
  /** Stop taking requests, finish the ones in flight (up to the shutdown deadline), release everything. */
  close(): Promise<void>;
}

/** An incoming `x-request-id` worth keeping (the router's); anything else gets a fresh id. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * The configuration as a ready (not yet listening) application: fastify with one plugin per concern, each
 * releasing what it holds when the application closes.
 */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  // Loaded only when tracing is configured: with it off, no span code runs.
  const tracing: Tracing | null = config.tracing
    ? new (await import("./tracing/tracing.js")).Tracing(config.tracing)
    : null;
  const logger = createLogger(config.logLevel, options.logDestination, tracing?.logFields);
  for (const warning of config.warnings) logger.warn(warning);
  const metrics = new Metrics();
  // Typed as fastify's base logger, so the instance keeps its default type.
  const fastifyLogger: FastifyBaseLogger = logger;
  const fastify: FastifyInstance = Fastify({
    bodyLimit: config.maxBodyBytes,
    // Trust exactly `trustProxy` hops of X-Forwarded-For, counted from the socket.
    trustProxy: (_address, hop) => hop < config.trustProxy,
    ...(tracing && { serverFactory: tracing.serverFactory }),
    loggerInstance: fastifyLogger,
    logController: new RequestLogController(),
    clientErrorHandler,
    genReqId: (request) => {
      const given = request.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  applyServerLimits(fastify.server, config);
  fastify.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    done();
  });
  refuseMalformedRequests(fastify);
  capConnections(fastify, config);
  // Every answer of /graphql timed, refusals (401, 413, 503 while draining) included.
  fastify.addHook("onResponse", (request, reply, done) => {
    if (request.routeOptions.url === "/graphql") {
      metrics.graphqlRequest(request.method, reply.statusCode, reply.elapsedTime / 1000);
    }
    done();
  });

  if (tracing) {
    fastify.addHook("preHandler", tracing.enterRequest);
    // Registered first, so it runs last: the spans of every request have ended by then.
    fastify.addHook("onClose", () => tracing.shutdown());
  }

  await fastify.register(drainPlugin, { deadlineMs: config.shutdownDeadlineMs });
  const service = await composeService(config, {
    logger,
    metrics,
    tracing,
    ...(options.store && { store: options.store }),
  });
  await fastify.register(otpPlugin, { service });
  await fastify.register(routerAuthPlugin, {
    secret: config.routerSecret,
    previous: config.routerSecretPrevious,
    onChecked: (result) => {
      metrics.routerAuth(result);
    },
  });
  await fastify.register(graphqlPlugin, { config, logger, plugins: tracing ? [tracing.apolloPlugin] : [] });
  await fastify.register(probesPlugin);
  await fastify.register(metricsPlugin, { metrics });
  await fastify.ready();

  return { http: fastify, capacityLine: () => service.capacityLine(), close: () => fastify.close() };
}
