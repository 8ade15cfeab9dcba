import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginUsageReportingDisabled } from "@apollo/server/plugin/disabled";
import fastifyApollo, { fastifyApolloDrainPlugin } from "@as-integrations/fastify";
import Fastify, { type FastifyInstance } from "fastify";
import type { Config } from "./config.js";
import { createContext, type GraphQLContext } from "./graphql/context.js";
import { createLogger } from "./log.js";
import { buildOtpSchema } from "./graphql/schema.js";
import { UpstreamClient } from "./providers/http.js";
import { createAdapters } from "./providers/index.js";
import { OtpService } from "./otp/request-otp.js";
import { MemoryStore } from "./otp/store/memory.js";

/** The running HTTP application: `/graphql`, `/healthz`, `/readyz`. */
export interface App {
  http: FastifyInstance;
  /** Stop taking requests, finish the ones in flight, release everything. */
  close(): Promise<void>;
}

const RESPONSE_BYTES_CAP = 256 * 1024;

/** Wire the configuration into a ready (not yet listening) application. */
export async function createApp(config: Config): Promise<App> {
  const logger = createLogger(config.logLevel);
  const http = new UpstreamClient({ timeoutMs: config.providerTimeoutMs, maxBodyBytes: RESPONSE_BYTES_CAP });
  const store = new MemoryStore();
  const otp = new OtpService({
    adapters: createAdapters(config.providers, http),
    store,
    sandbox: config.mode === "sandbox",
    cooldownSeconds: config.limits.cooldownSeconds,
  });

  const fastify: FastifyInstance = Fastify({
    bodyLimit: config.maxBodyBytes,
    // Trust exactly `trustProxy` hops of X-Forwarded-For, counted from the socket.
    trustProxy: (_address, hop) => hop < config.trustProxy,
    logger: false,
  });
  let shuttingDown = false;

  const apollo = new ApolloServer<GraphQLContext>({
    schema: await buildOtpSchema(),
    logger,
    introspection: config.introspection,
    // A oneOf or enum violation stays a plain BAD_USER_INPUT through the gateway, not an HTTP 400.
    status400ForVariableCoercionErrors: false,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: !config.production,
    plugins: [
      fastifyApolloDrainPlugin(fastify),
      validationFailureAsOk,
      ...(config.apolloKey ? [] : [ApolloServerPluginUsageReportingDisabled()]),
    ],
    ...(config.apolloKey && { apollo: { key: config.apolloKey } }),
  });
  await apollo.start();

  if (config.routerSecret) {
    const secret = config.routerSecret;
    fastify.addHook("onRequest", async (request, reply) => {
      if (request.url.startsWith("/graphql") && request.headers["router-authorization"] !== secret) {
        await reply
          .code(401)
          .send({ errors: [{ message: "Unauthorized", extensions: { code: "UNAUTHENTICATED" } }] });
      }
    });
  }

  await fastify.register(fastifyApollo(apollo), {
    path: "/graphql",
    method: ["POST", "GET"],
    context: (request) => Promise.resolve(createContext(otp, store, request.ip)),
  });
  fastify.get("/healthz", () => ({ status: "ok" }));
  fastify.get("/readyz", async (_request, reply) => {
    if (shuttingDown) return reply.code(503).send({ status: "shutting down" });
    if (!(await store.ping())) return reply.code(503).send({ status: "store unreachable" });
    return { status: "ready" };
  });

  return {
    http: fastify,
    close: async () => {
      shuttingDown = true;
      await fastify.close();
      await store.close();
    },
  };
}

/**
 * GraphQL over HTTP: with `application/json`, a well-formed request that fails validation is still HTTP 200.
 * Apollo Server answers 400, which `@apollo/gateway` turns into INTERNAL_SERVER_ERROR "400: Bad Request"; and a
 * oneOf violation written inline in a document is a validation error that passes the gateway (its API schema has
 * no `@oneOf`), so it must reach the client as the subgraph's own error.
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
          errors?.every((error) => error.extensions?.code === "GRAPHQL_VALIDATION_FAILED")
        ) {
          response.http.status = 200;
        }
        return Promise.resolve();
      },
    });
  },
};
