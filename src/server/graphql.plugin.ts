/** `/graphql`: Apollo Server with the subgraph schema, one context per request; stopped on close. */
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from "@apollo/server/plugin/disabled";
import { ApolloServerPluginInlineTrace } from "@apollo/server/plugin/inlineTrace";
import fastifyApollo from "@as-integrations/fastify";
import type { FastifyPluginAsync } from "fastify";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { createContext, type GraphQLContext } from "../graphql/context.js";
import { DocumentLimits, MAX_TOKENS } from "../graphql/document-limits.js";
import { errorLog } from "../graphql/error-log.plugin.js";
import { errorFormatter } from "../graphql/format-error.js";
import { buildOtpSchema } from "../graphql/schema.js";
import { singleMutationRule } from "../graphql/single-mutation.rule.js";
import { validationFailureAsOk } from "../graphql/validation-status.plugin.js";

export interface GraphQLPluginOptions {
  config: Config;
  logger: Logger;
  /** More Apollo Server plugins (the tracing one, when tracing is on). */
  plugins?: ApolloServerPlugin<GraphQLContext>[];
}

const graphqlPlugin: FastifyPluginAsync<GraphQLPluginOptions> = async (
  fastify,
  { config, logger, plugins = [] },
) => {
  const apollo = new ApolloServer<GraphQLContext>({
    schema: await buildOtpSchema(),
    logger,
    introspection: config.introspection,
    allowBatchedHttpRequests: false,
    // The process's signals are `main.ts`'s: it closes fastify, which stops Apollo Server in its turn. (Apollo's
    // own handler, on by default outside tests, raced it and held a shutdown until its drain deadline.)
    stopOnTerminationSignals: false,
    // Bounded before any rule runs (and by `DocumentLimits` before Apollo Server); our rules are linear.
    parseOptions: { maxLexicalTokens: MAX_TOKENS },
    validationRules: [singleMutationRule],
    // No "Did you mean" in production: a client learns only the names it wrote.
    hideSchemaDetailsFromClientErrors: config.production,
    // Stack traces go to the log (outside production), never to a client.
    includeStacktraceInErrorResponses: false,
    formatError: errorFormatter(config.production),
    plugins: [
      validationFailureAsOk,
      errorLog(logger, config.production),
      // Federated tracing (ftv1) for the gateway, installed here rather than by Apollo, which logs that it did.
      ApolloServerPluginInlineTrace(),
      // Nothing here is cacheable (a mutation, and challenges that change under their id): no cache hints to
      // compute, and no resolver wrapped for them on every request.
      ApolloServerPluginCacheControlDisabled(),
      ...plugins,
      // Apollo Server never reports usage from a subgraph (the router reports it, with our ftv1 traces in it);
      // installed so that an APOLLO_KEY in the environment does not print a warning that suggests otherwise.
      ApolloServerPluginUsageReportingDisabled(),
    ],
  });
  await apollo.start();
  // Requests have finished by now (fastify closes its server first): stopping flushes Apollo's own plugins.
  fastify.addHook("onClose", () => apollo.stop());

  const limits = new DocumentLimits();
  fastify.addHook("preHandler", async (request, reply) => {
    if (request.routeOptions.url !== "/graphql") return;
    const source = request.method === "GET" ? request.query : request.body;
    const query = (source as { query?: unknown } | null | undefined)?.query;
    const problem = typeof query === "string" ? limits.check(query) : null;
    if (problem === null) return;
    // As a validation failure: 200 for application/json (see validationFailureAsOk), 400 for graphql-response.
    const graphqlResponse = request.headers.accept?.includes("application/graphql-response+json");
    return reply
      .code(graphqlResponse ? 400 : 200)
      .send({ errors: [{ message: problem, extensions: { code: "GRAPHQL_VALIDATION_FAILED" } }] });
  });

  const { otp, store } = fastify;
  await fastify.register(fastifyApollo(apollo), {
    path: "/graphql",
    method: ["POST", "GET"],
    context: (request) => Promise.resolve(createContext(otp, store, request.ip, request.id)),
  });
};

export default graphqlPlugin;
