import type { ApolloServerPlugin } from "@apollo/server";
import {
  defaultTextMapGetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
} from "@opentelemetry/sdk-trace";
import { Kind } from "graphql";
import type { FastifyServerFactory, onRequestHookHandler } from "fastify";
import { AsyncLocalStorage } from "node:async_hooks";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { OtpOutcome, ProviderId } from "../otp/model.js";
import type { OtpStore } from "../otp/store/store.js";
import type { UpstreamTracer } from "../providers/http-client.js";
import type { TracingSettings } from "./settings.js";

/** The routes whose requests are traced: GraphQL only, not probes or metrics scrapes. */
const TRACED_PATH = /^\/graphql(?:[/?]|$)/;
const METHODS = new Set(["GET", "POST", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"]);

/**
 * OpenTelemetry traces of this process, with a tracer provider, a context and a W3C propagator of its own (no
 * process-wide registration, so several applications in one process each export where they were told).
 * Created only when tracing is configured: with it off, none of these hooks is installed and nothing runs.
 *
 * Spans: the HTTP request (continuing the router's `traceparent`/`tracestate`) named after the GraphQL
 * operation, `requestOtp`, each upstream call and each store call. Attributes are bounded names and numbers:
 * never a destination, an input value, a key, an IP, a header or a URL path.
 */
export class Tracing {
  readonly #provider: TracerProvider;
  readonly #tracer: Tracer;
  readonly #storage = new AsyncLocalStorage<Context>();
  readonly #propagator = new W3CTraceContextPropagator();
  /** The context of each traced HTTP request, to enter again once the body is read. */
  readonly #requests = new WeakMap<IncomingMessage, Context>();

  constructor(settings: TracingSettings) {
    const exporter =
      settings.protocol === "http/json"
        ? new JsonExporter({ url: settings.endpoint })
        : new ProtobufExporter({ url: settings.endpoint });
    this.#provider = new TracerProvider({
      resource: resourceFromAttributes({
        ...settings.resourceAttributes,
        "service.name": settings.serviceName,
      }),
      sampler: sampler(settings),
      spanProcessors: [new BatchSpanProcessor({ exporter })],
    });
    this.#tracer = this.#provider.getTracer("otp-subgraph");
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
    if (context) this.#storage.run(context, done);
    else done();
  };

  /** Apollo Server plugin: names the request's span after the GraphQL operation and marks errors. */
  readonly apolloPlugin: ApolloServerPlugin = {
    requestDidStart: () =>
      Promise.resolve({
        didResolveOperation: ({ operation }) => {
          const span = this.#activeSpan();
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
          const span = this.#activeSpan();
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

  /** `requestOtp` in a span of its own: the provider, the result member, the providerCode, who limited it. */
  async requestOtp(provider: ProviderId | undefined, run: () => Promise<OtpOutcome>): Promise<OtpOutcome> {
    const observed = async () => {
      try {
        return await run();
      } catch (error) {
        this.#activeSpan()?.setAttribute("otp.result", "error");
        throw error;
      }
    };
    return this.#active(
      "requestOtp",
      { ...(provider && { "otp.provider": provider }) },
      observed,
      (span, outcome) => {
        span.setAttribute("otp.result", outcome.kind);
        if (outcome.kind === "OtpSent") return;
        if (outcome.providerCode !== null) span.setAttribute("otp.provider_code", outcome.providerCode);
        if (outcome.kind === "RateLimited") span.setAttribute("otp.limited_by", outcome.limitedBy);
      },
    );
  }

  /** The store, with a span for each call made while a request is traced. */
  store(store: OtpStore, kind: "memory" | "redis"): OtpStore {
    const attributes = { "otp.store": kind, ...(kind === "redis" && { "db.system.name": "redis" }) };
    const call = <T>(operation: string, run: () => Promise<T>, describe?: (span: Span, result: T) => void) =>
      this.#child(`store ${operation}`, { ...attributes, "db.operation.name": operation }, run, describe);
    return {
      saveChallenge: (challenge, ttl) => call("saveChallenge", () => store.saveChallenge(challenge, ttl)),
      loadChallenges: (ids) =>
        call(
          "loadChallenges",
          () => store.loadChallenges(ids),
          (span, found) => span.setAttribute("otp.store.found", found.filter(Boolean).length),
        ),
      consumeLimits: (request) =>
        call(
          "consumeLimits",
          () => store.consumeLimits(request),
          (span, decision) => {
            span.setAttribute("otp.limit.allowed", decision.allowed);
            if (!decision.allowed) span.setAttribute("otp.limit.refused_by", decision.limit);
          },
        ),
      releaseLimits: (request, receipt) => call("releaseLimits", () => store.releaseLimits(request, receipt)),
      recentCounts: (counters) => call("recentCounts", () => store.recentCounts(counters)),
      claimIdempotency: (key, fingerprint, token, lease, previousKey) =>
        call(
          "claimIdempotency",
          () => store.claimIdempotency(key, fingerprint, token, lease, previousKey),
          (span, record) => span.setAttribute("otp.idempotency.claimed", record === null),
        ),
      completeIdempotency: (key, token, outcome, ttl) =>
        call("completeIdempotency", () => store.completeIdempotency(key, token, outcome, ttl)),
      releaseIdempotency: (key, token) =>
        call("releaseIdempotency", () => store.releaseIdempotency(key, token)),
      watchIdempotency: (key) => store.watchIdempotency(key),
      ping: () => store.ping(),
      close: () => store.close(),
    };
  }

  /** The span hook of one provider's HTTP client: host and port, method, status or fault, duration. */
  upstream(provider: ProviderId): UpstreamTracer {
    return {
      start: (method, url) => {
        const context = this.#storage.getStore();
        if (!context) return undefined;
        const { hostname, port, protocol } = new URL(url);
        const span = this.#tracer.startSpan(
          method,
          {
            kind: SpanKind.CLIENT,
            attributes: {
              "otp.provider": provider,
              "http.request.method": method,
              "server.address": hostname,
              "server.port": port === "" ? (protocol === "https:" ? 443 : 80) : Number(port),
            },
          },
          context,
        );
        return (result) => {
          span.setAttribute("otp.upstream.duration_ms", result.ms);
          if (result.status !== null) span.setAttribute("http.response.status_code", result.status);
          if (!result.ok) {
            span.setAttributes({ "otp.upstream.fault": result.fault, "error.type": result.fault });
            if (result.notSent) span.setAttribute("otp.upstream.not_sent", true);
            span.setStatus({ code: SpanStatusCode.ERROR, message: result.fault });
          } else if (result.status >= 500) {
            span.setAttribute("error.type", String(result.status));
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
          span.end();
        };
      },
    };
  }

  /** Pino `mixin`: the trace and span of the request being handled, on every line it logs. */
  readonly logFields = (): Record<string, string> => {
    const span = this.#activeSpan();
    if (!span) return {};
    const { traceId, spanId } = span.spanContext();
    return { trace_id: traceId, span_id: spanId };
  };

  /** Export what is left and stop. */
  async shutdown(): Promise<void> {
    await this.#provider.shutdown();
  }

  #serve(request: IncomingMessage, response: ServerResponse, handler: (...args: never[]) => void): void {
    const next = handler as (request: IncomingMessage, response: ServerResponse) => void;
    if (!TRACED_PATH.test(request.url ?? "")) {
      next(request, response);
      return;
    }
    const parent = this.#propagator.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter);
    const method = METHODS.has(request.method ?? "") ? (request.method as string) : "_OTHER";
    const span = this.#tracer.startSpan(
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
    this.#storage.run(context, () => {
      next(request, response);
    });
  }

  #activeSpan(): Span | undefined {
    const context = this.#storage.getStore();
    return context && trace.getSpan(context);
  }

  /** `run` in a new span that is the active one while it runs. */
  async #active<T>(
    name: string,
    attributes: Attributes,
    run: () => Promise<T>,
    describe?: (span: Span, result: T) => void,
  ): Promise<T> {
    const parent = this.#storage.getStore();
    if (!parent) return run();
    const span = this.#tracer.startSpan(name, { attributes }, parent);
    return this.#storage.run(trace.setSpan(parent, span), () => this.#finish(span, run, describe));
  }

  /** `run` in a new span under the active one (none when no request is traced). */
  async #child<T>(
    name: string,
    attributes: Attributes,
    run: () => Promise<T>,
    describe?: (span: Span, result: T) => void,
  ): Promise<T> {
    const parent = this.#storage.getStore();
    if (!parent) return run();
    const span = this.#tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
    return this.#finish(span, run, describe);
  }

  async #finish<T>(
    span: Span,
    run: () => Promise<T>,
    describe?: (span: Span, result: T) => void,
  ): Promise<T> {
    try {
      const result = await run();
      describe?.(span, result);
      return result;
    } catch (error) {
      // The error's type only: a message may quote what it failed on.
      const type = error instanceof Error ? error.name : "unknown";
      span.setAttribute("error.type", type);
      span.setStatus({ code: SpanStatusCode.ERROR, message: type });
      throw error;
    } finally {
      span.end();
    }
  }
}

/** A GraphQL error's code as an attribute: this service's codes are short upper-case names. */
function errorCode(code: unknown): string {
  return typeof code === "string" && /^[A-Z_]{1,64}$/.test(code) ? code : "UNKNOWN";
}

function sampler({ sampler: name, samplerArg }: TracingSettings): Sampler {
  const ratio = () => new TraceIdRatioBasedSampler(samplerArg);
  switch (name) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return ratio();
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: ratio() });
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}
