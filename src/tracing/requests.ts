/**
 * Request spans: the HTTP request to /graphql (continuing the router's `traceparent`/`tracestate`), named after
 * its GraphQL operation, with the request's context kept across fastify's and Apollo's hooks.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import {
  defaultTextMapGetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { Kind } from "graphql";
import type { FastifyServerFactory, onRequestHookHandler } from "fastify";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { SpanScope } from "./scope.js";

/** The routes whose requests are traced: GraphQL only, not probes or metrics scrapes. */
const TRACED_PATH = /^\/graphql(?:[/?]|$)/;
const METHODS = new Set(["GET", "POST", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"]);

export class RequestSpans {
  readonly #scope: SpanScope;
  readonly #propagator = new W3CTraceContextPropagator();
  /** The context of each traced HTTP request, to enter again once the body is read. */
  readonly #requests = new WeakMap<IncomingMessage, Context>();

  constructor(scope: SpanScope) {
    this.#scope = scope;
  }

  /**
   * Fastify's `serverFactory`: a GraphQL request runs inside its server span's context from its first byte,
   * so every log line of it, fastify's own included, carries its ids.
   */
  readonly serverFactory: FastifyServerFactory = (handler, options) => {
    // What fastify sets on the server it makes itself.
    const { keepAliveTimeout, requestTimeout, connectionTimeout } = options as Record<string, number>;
    const server = createServer((request, response) => {
      this.#serve(request, response, handler);
    });
    server.keepAliveTimeout = keepAliveTimeout ?? 72_000;
    server.requestTimeout = requestTimeout ?? 0;
    server.setTimeout(connectionTimeout ?? 0);
    return server;
  };

  /**
   * Fastify `preHandler` hook: the request body arrives on the socket's own async context, so the request's
   * context is entered again before the handler runs.
   */
  readonly enterRequest: onRequestHookHandler = (request, _reply, done) => {
    const context = this.#requests.get(request.raw);
    if (context) this.#scope.storage.run(context, done);
    else done();
  };

  /** Apollo Server plugin: names the request's span after the GraphQL operation and marks errors. */
  readonly apolloPlugin: ApolloServerPlugin = {
    requestDidStart: () =>
      Promise.resolve({
        didResolveOperation: ({ operation }) => {
          const span = this.#scope.activeSpan();
          if (span && operation) {
            // The root fields, which passed validation: names from the schema, never from the client.
            const fields = new Set<string>();
            for (const selection of operation.selectionSet.selections) {
              if (selection.kind === Kind.FIELD) fields.add(selection.name.value);
            }
            const names = [...fields].slice(0, 5).join(",");
            span.updateName(`${operation.operation} ${names}`);
            span.setAttributes({ "graphql.operation.type": operation.operation, "graphql.fields": names });
          }
          return Promise.resolve();
        },
        willSendResponse: ({ response }) => {
          const span = this.#scope.activeSpan();
          const errors = response.body.kind === "single" ? response.body.singleResult.errors : undefined;
          if (span && errors && errors.length > 0) {
            const codes = [...new Set(errors.map((error) => errorCode(error.extensions?.code)))];
            span.setAttribute("graphql.error.codes", codes.slice(0, 5));
            span.setStatus({ code: SpanStatusCode.ERROR, message: codes.join(",").slice(0, 128) });
          }
          return Promise.resolve();
        },
      }),
  };

  #serve(request: IncomingMessage, response: ServerResponse, handler: (...args: never[]) => void): void {
    const next = handler as (request: IncomingMessage, response: ServerResponse) => void;
    if (!TRACED_PATH.test(request.url ?? "")) {
      next(request, response);
      return;
    }
    const parent = this.#propagator.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter);
    const method = METHODS.has(request.method ?? "") ? (request.method as string) : "_OTHER";
    const span = this.#scope.tracer.startSpan(
      `${method} /graphql`,
      {
        kind: SpanKind.SERVER,
        attributes: { "http.request.method": method, "http.route": "/graphql", "url.scheme": "http" },
      },
      parent,
    );
    const context = trace.setSpan(parent, span);
    this.#requests.set(request, context);
    response.once("close", () => {
      span.setAttribute("http.response.status_code", response.statusCode);
      if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      if (!response.writableFinished) span.setAttribute("error.type", "aborted");
      span.end();
    });
    this.#scope.storage.run(context, () => {
      next(request, response);
    });
  }
}

/** A GraphQL error's code as an attribute: this service's codes are short upper-case names. */
function errorCode(code: unknown): string {
  return typeof code === "string" && /^[A-Z_]{1,64}$/.test(code) ? code : "UNKNOWN";
}
