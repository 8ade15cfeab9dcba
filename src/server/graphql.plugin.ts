/** `/graphql`: Apollo Server with the subgraph schema, one context per request; stopped on close. */
import { Readable } from "node:stream";
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from "@apollo/server";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from "@apollo/server/plugin/disabled";
import { ApolloServerPluginInlineTrace } from "@apollo/server/plugin/inlineTrace";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { fastifyPlugin } from "fastify-plugin";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { createContext, type GraphQLContext } from "../graphql/context.js";
import { ClientIps } from "./client-ip.js";
import { DocumentCache } from "../graphql/document-cache.js";
import { DocumentLimits, documentSizeProblem, MAX_TOKENS } from "../graphql/document-limits.js";
import { errorLog } from "../graphql/error-log.plugin.js";
import { errorFormatter } from "../graphql/format-error.js";
import { knownOperationTypeRule } from "../graphql/known-operation-type.rule.js";
import { buildOtpSchema } from "../graphql/schema.js";
import { singleMutationRule, singleServiceRule } from "../graphql/single-mutation.rule.js";
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
    // A document comes only from the request's `query`, where the gate below has seen it. Automatic persisted
    // queries would run a text registered earlier by hash; the router's persisted queries are the supported way.
    persistedQueries: false,
    // Parsed documents counted by what they hold, source text included (Apollo's default counts neither).
    documentStore: new DocumentCache(),
    // Compact JSON: Apollo's default indents every response (`JSON.stringify(value, null, 2)`), for no reader.
    stringifyResult: (value) => JSON.stringify(value),
    // The process's signals are `main.ts`'s: it closes fastify, which stops Apollo Server in its turn. (Apollo's
    // own handler, on by default outside tests, raced it and held a shutdown until its drain deadline.)
    stopOnTerminationSignals: false,
    // Bounded before any rule runs (and by `DocumentLimits` before Apollo Server); our rules are linear.
    parseOptions: { maxLexicalTokens: MAX_TOKENS },
    validationRules: [singleMutationRule, singleServiceRule, knownOperationTypeRule],
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
      // Apollo would choose its landing page from process.env.NODE_ENV; this follows the configuration.
      ...(config.production ? [ApolloServerPluginLandingPageDisabled()] : []),
      // Apollo Server never reports usage from a subgraph (the router reports it, with our ftv1 traces in it);
      // installed so that an APOLLO_KEY in the environment does not print a warning that suggests otherwise.
      ApolloServerPluginUsageReportingDisabled(),
    ],
  });
  await apollo.start();
  // Requests have finished by now (fastify closes its server first): stopping flushes Apollo's own plugins.
  fastify.addHook("onClose", () => apollo.stop());

  const limits = new DocumentLimits();
  const clientIps = new ClientIps(config.trustProxy, logger);
  const { otp, store } = fastify;
  fastify.route({
    method: ["GET", "POST"],
    url: "/graphql",
    handler: async (request, reply) => {
      const httpGraphQLRequest = {
        method: request.method,
        headers: headerMap(request.headers),
        // Apollo Server reads a GET's document from `search`; the gate reads the same text.
        search: searchOf(request.url),
        body: request.body,
      };
      const refusal = gate(request, httpGraphQLRequest.search, limits, config.maxDocumentBytes);
      if (refusal) return refuse(request, reply, refusal);
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest,
        context: () => Promise.resolve(createContext(otp, store, clientIps.of(request), request.id)),
      });
      for (const [name, value] of response.headers) void reply.header(name, value);
      void reply.code(response.status ?? 200);
      return response.body.kind === "complete"
        ? response.body.string
        : reply.send(Readable.from(response.body.asyncIterator));
    },
  });
};

/** Why a request is refused before Apollo Server sees it. */
interface Refusal {
  /** `validation`: answered as a validation failure (200 for `application/json`, see validationFailureAsOk). */
  status: number | "validation";
  code: string;
  message: string;
}

/**
 * The one gate every document passes: exactly the text Apollo Server will parse (with automatic persisted
 * queries off, a POST body's `query` string or a GET's single `query` parameter), checked for its size before
 * parsing, then against the document bounds. Linear in the text, and constant for most sizes.
 */
function gate(
  request: FastifyRequest,
  search: string,
  limits: DocumentLimits,
  maxDocumentBytes: number,
): Refusal | null {
  let query: unknown;
  if (request.method === "GET") {
    const values = new URLSearchParams(search).getAll("query");
    if (values.length > 1) {
      return { status: 400, code: "BAD_REQUEST", message: "The 'query' parameter may be given only once." };
    }
    query = values[0];
  } else {
    query = (request.body as { query?: unknown } | null | undefined)?.query;
  }
  // Anything else is not a document: Apollo Server refuses it (400) without parsing.
  if (typeof query !== "string") return null;
  const tooLarge = documentSizeProblem(query, maxDocumentBytes);
  if (tooLarge) return { status: 413, code: "BAD_REQUEST", message: tooLarge };
  const problem = limits.check(query);
  return problem ? { status: "validation", code: "GRAPHQL_VALIDATION_FAILED", message: problem } : null;
}

function refuse(request: FastifyRequest, reply: FastifyReply, { status, code, message }: Refusal) {
  const graphqlResponse = request.headers.accept?.includes("application/graphql-response+json");
  return reply
    .code(status === "validation" ? (graphqlResponse ? 400 : 200) : status)
    .send({ errors: [{ message, extensions: { code } }] });
}

/**
 * The query string of a request target, from `?` up to a `#` (which no client sends raw: it would be cut there
 * by any URL parser). Read from the raw target, never through the `Host` header, which may not parse.
 */
function searchOf(target: string): string {
  const fragment = target.indexOf("#");
  const path = fragment === -1 ? target : target.slice(0, fragment);
  const query = path.indexOf("?");
  return query === -1 ? "" : path.slice(query);
}

function headerMap(headers: FastifyRequest["headers"]): HeaderMap {
  const map = new HeaderMap();
  for (const [name, value] of Object.entries(headers)) {
    if (value) map.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  return map;
}

/** Reads the use case and the store (the otp plugin's); answered only behind the router secret's check. */
export default fastifyPlugin(graphqlPlugin, {
  name: "graphql",
  decorators: { fastify: ["otp", "store"] },
  dependencies: ["otp", "router-auth"],
  encapsulate: true,
});
