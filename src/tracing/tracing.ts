import type { ApolloServerPlugin } from "@apollo/server";
import type { TracerProvider } from "@opentelemetry/sdk-trace";
import type { FastifyServerFactory, onRequestHookHandler } from "fastify";
import type { OtpOutcome, ProviderId } from "../otp/model.js";
import type { OtpStore } from "../otp/store/store.js";
import type { UpstreamTracer } from "../providers/http-client.js";
import { RequestSpans } from "./requests.js";
import { SpanScope } from "./scope.js";
import type { TracingSettings } from "./settings.js";
import { tracerProvider } from "./setup.js";
import { tracedStore } from "./store.js";
import { upstreamTracer } from "./upstream.js";

/**
 * OpenTelemetry traces of this process, with a tracer provider, a context and a W3C propagator of its own (no
 * process-wide registration, so several applications in one process each export where they were told).
 * Created only when tracing is configured: with it off, none of these hooks is installed and nothing runs.
 *
 * Spans, one module per layer: the HTTP request (`requests.ts`, continuing the router's `traceparent`/`tracestate`)
 * named after the GraphQL operation, `requestOtp` (here), each upstream call (`upstream.ts`) and each store call
 * (`store.ts`); the exporter and sampler are `setup.ts`'s. Attributes are bounded names and numbers: never a
 * destination, an input value, a key, an IP, a header or a URL path.
 */
export class Tracing {
  readonly #provider: TracerProvider;
  readonly #scope: SpanScope;
  readonly #requests: RequestSpans;

  constructor(settings: TracingSettings) {
    this.#provider = tracerProvider(settings);
    this.#scope = new SpanScope(this.#provider.getTracer("otp-subgraph"));
    this.#requests = new RequestSpans(this.#scope);
  }

  /** Fastify's `serverFactory`: see {@link RequestSpans.serverFactory}. */
  get serverFactory(): FastifyServerFactory {
    return this.#requests.serverFactory;
  }

  /** Fastify `preHandler` hook: see {@link RequestSpans.enterRequest}. */
  get enterRequest(): onRequestHookHandler {
    return this.#requests.enterRequest;
  }

  /** Apollo Server plugin: names the request's span after the GraphQL operation and marks errors. */
  get apolloPlugin(): ApolloServerPlugin {
    return this.#requests.apolloPlugin;
  }

  /** `requestOtp` in a span of its own: the provider, the result member, the providerCode, who limited it. */
  async requestOtp(provider: ProviderId | undefined, run: () => Promise<OtpOutcome>): Promise<OtpOutcome> {
    const observed = async () => {
      try {
        return await run();
      } catch (error) {
        this.#scope.activeSpan()?.setAttribute("otp.result", "error");
        throw error;
      }
    };
    return this.#scope.active(
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

  /** The store, with a span for each call made while a request is traced (see `store.ts`). */
  store(store: OtpStore, kind: "memory" | "redis"): OtpStore {
    return tracedStore(this.#scope, store, kind);
  }

  /** The span hook of one provider's HTTP client (see `upstream.ts`). */
  upstream(provider: ProviderId): UpstreamTracer {
    return upstreamTracer(this.#scope, provider);
  }

  /** Pino `mixin`: the trace and span of the request being handled, on every line it logs. */
  readonly logFields = (): Record<string, string> => {
    const span = this.#scope.activeSpan();
    if (!span) return {};
    const { traceId, spanId } = span.spanContext();
    return { trace_id: traceId, span_id: spanId };
  };

  /** Export what is left and stop. */
  async shutdown(): Promise<void> {
    await this.#provider.shutdown();
  }
}
