import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { ApolloServerPluginUsageReportingDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginInlineTrace } from "@apollo/server/plugin/inlineTrace";
import fastifyApollo, { fastifyApolloDrainPlugin } from "@as-integrations/fastify";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { DestinationStream } from "pino";
import type { Config } from "./config.js";
import { createContext, type GraphQLContext } from "./graphql/context.js";
import { withoutInputValues } from "./graphql/input-errors.js";
import { createLogger, RequestLogController } from "./log.js";
import { Metrics } from "./metrics.js";
import type { ProviderId } from "./otp/model.js";
import { buildOtpSchema } from "./graphql/schema.js";
import { UpstreamClient } from "./providers/http.js";
import { createAdapters } from "./providers/index.js";
import { OtpService } from "./otp/request-otp.js";
import { createStore } from "./otp/store/index.js";
import { StateKeys } from "./otp/store/state-keys.js";
import { StoreUnavailableError } from "./otp/store/store.js";
import { singleMutationRule } from "./graphql/single-mutation.rule.js";
import type { Tracing } from "./tracing/tracing.js";

/** What a caller may give besides the configuration. */
export interface AppOptions {
  /** Where log lines go (tests capture them); standard output when absent. */
  logDestination?: DestinationStream;
}

/** The running HTTP application: `/graphql`, `/healthz`, `/readyz`, `/metrics`. */
export interface App {
  http: FastifyInstance;
  /** Stop taking requests, finish the ones in flight (up to the shutdown deadline), release everything. */
  close(): Promise<void>;
}

/** Wire the configuration into a ready (not yet listening) application. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  // Loaded only when tracing is configured: with it off, no span code runs.
  const tracing: Tracing | null = config.tracing
    ? new (await import("./tracing/tracing.js")).Tracing(config.tracing)
    : null;
  const logger = createLogger(config.logLevel, options.logDestination, tracing?.logFields);
  const metrics = new Metrics();
  const clients: UpstreamClient[] = [];
  const clientFor = (provider: ProviderId) => {
    const client = new UpstreamClient({
      provider,
      timeoutMs: config.providerTimeoutMs,
      maxBodyBytes: config.providerMaxResponseBytes,
      resilience: config.resilience,
      observer: metrics.upstream(provider),
      logger,
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

  // Typed as fastify's base logger, so the instance keeps its default type.
  const fastifyLogger: FastifyBaseLogger = logger;
  const fastify: FastifyInstance = Fastify({
    bodyLimit: config.maxBodyBytes,
    // Trust exactly `trustProxy` hops of X-Forwarded-For, counted from the socket.
    trustProxy: (_address, hop) => hop < config.trustProxy,
    ...(tracing && { serverFactory: tracing.serverFactory }),
    loggerInstance: fastifyLogger,
    logController: new RequestLogController(),
    genReqId: (request) => {
      const given = request.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  fastify.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    done();
  });
  let shuttingDown = false;
  // Once draining, a finished request closes its connection instead of keeping it alive for another.
  fastify.addHook("onSend", (_request, reply, _payload, done) => {
    if (shuttingDown) reply.header("connection", "close");
    done();
  });

  const apollo = new ApolloServer<GraphQLContext>({
    schema: await buildOtpSchema(),
    logger,
    introspection: config.introspection,
    allowBatchedHttpRequests: false,
    validationRules: [singleMutationRule],
    includeStacktraceInErrorResponses: !config.production,
    formatError: (formatted, error) => {
      // Fail closed: no OTP goes out while the limits cannot be checked, and the caller is told so.
      if (unwrapResolverError(error) instanceof StoreUnavailableError) {
        return {
          message: "The service is temporarily unavailable. Please try again shortly.",
          ...(formatted.path && { path: formatted.path }),
          extensions: { code: "SERVICE_UNAVAILABLE" },
        };
      }
      const code = formatted.extensions?.code;
      if (code !== "GRAPHQL_VALIDATION_FAILED" && code !== "BAD_USER_INPUT") return formatted;
      // graphql-js quotes input values in these messages; a value may be a password or an Aadhaar number.
      const message = withoutInputValues(formatted.message);
      // Two members or none, written in the document, is bad input like the same mistake in variables.
      const oneOf = code === "GRAPHQL_VALIDATION_FAILED" && ONE_OF_VIOLATION.test(formatted.message);
      // The stack trace (outside production) repeats graphql-js's own message, value included.
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return {
        ...formatted,
        message,
        extensions: { ...extensions, ...(oneOf && { code: "BAD_USER_INPUT" }) },
      };
    },
    plugins: [
      fastifyApolloDrainPlugin(fastify),
      validationFailureAsOk,
      // Federated tracing (ftv1) for the gateway, installed here rather than by Apollo, which logs that it did.
      ApolloServerPluginInlineTrace(),
      ...(tracing ? [tracing.apolloPlugin] : []),
      ...(config.apolloKey ? [] : [ApolloServerPluginUsageReportingDisabled()]),
    ],
    ...(config.apolloKey && { apollo: { key: config.apolloKey } }),
  });
  await apollo.start();

  if (config.routerSecret) {
    const secret = digest(config.routerSecret);
    fastify.addHook("onRequest", async (request, reply) => {
      // Probes and metrics are for the platform, not the router.
      if (request.routeOptions.url !== "/graphql") return;
      const given = request.headers["router-authorization"];
      if (typeof given !== "string" || !timingSafeEqual(digest(given), secret)) {
        return reply
          .code(401)
          .send({ errors: [{ message: "Unauthorized", extensions: { code: "UNAUTHENTICATED" } }] });
      }
    });
  }

  if (tracing) fastify.addHook("preHandler", tracing.enterRequest);
  // What resolvers call: with tracing, `requestOtp` in a span of its own.
  const otpEntry: GraphQLContext["otp"] = tracing
    ? { requestOtp: (input, context) => tracing.requestOtp(input, () => otp.requestOtp(input, context)) }
    : otp;
  await fastify.register(fastifyApollo(apollo), {
    path: "/graphql",
    method: ["POST", "GET"],
    context: (request) => Promise.resolve(createContext(otpEntry, store, request.ip, request.id)),
  });
  fastify.get("/healthz", () => ({ status: "ok" }));
  fastify.get("/metrics", async (_request, reply) =>
    reply.type(metrics.contentType).send(await metrics.text()),
  );
  fastify.get("/readyz", async (_request, reply) => {
    if (shuttingDown) return reply.code(503).send({ status: "shutting down" });
    if (!(await store.ping())) return reply.code(503).send({ status: "store unreachable" });
    return { status: "ready" };
  });

  return {
    http: fastify,
    close: async () => {
      shuttingDown = true;
      // Past the deadline, requests still running lose their connections so the process can exit.
      const deadline = setTimeout(() => {
        logger.warn(
          { deadlineMs: config.shutdownDeadlineMs },
          "shutdown deadline reached, closing connections",
        );
        fastify.server.closeAllConnections();
      }, config.shutdownDeadlineMs);
      try {
        await fastify.close();
      } finally {
        clearTimeout(deadline);
      }
      await store.close();
      await Promise.all(clients.map((client) => client.close()));
      await tracing?.shutdown();
    },
  };
}

/**
 * GraphQL over HTTP: with `application/json`, a well-formed request that fails validation or variable coercion
 * is still HTTP 200. Apollo Server answers 400, which `@apollo/gateway` turns into INTERNAL_SERVER_ERROR
 * "400: Bad Request"; and a oneOf violation (in variables, or written inline in a document: the gateway's API
 * schema has no `@oneOf`) must reach the client as the subgraph's own BAD_USER_INPUT. Setting the status in
 * `willSendResponse` is Apollo's documented way; its `status400ForVariableCoercionErrors: false` is deprecated.
 */
const validationFailureAsOk: ApolloServerPlugin<GraphQLContext> = {
  requestDidStart: ({ request }) => {
    const wantsGraphQLResponse = request.http?.headers
      .get("accept")
      ?.includes("application/graphql-response+json");
    return Promise.resolve({
      willSendResponse: ({ response }) => {
        const errors = response.body.kind === "single" ? response.body.singleResult.errors : undefined;
        if (
          !wantsGraphQLResponse &&
          response.http.status === 400 &&
          errors?.every((error) => VALIDATION_CODES.has(String(error.extensions?.code)))
        ) {
          response.http.status = 200;
        }
        return Promise.resolve();
      },
    });
  },
};

/** graphql-js's messages for a oneOf input with two members, none, or a null one. */
const ONE_OF_VIOLATION =
  /^(OneOf Input Object "\w+" must specify exactly one key|Field "\w+\.\w+" must be non-null)\.$/;
const VALIDATION_CODES = new Set(["GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"]);

/** An incoming `x-request-id` worth keeping (the router's); anything else gets a fresh id. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Equal-length digests, so comparing a header with the secret takes the same time whatever it holds. */
function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
