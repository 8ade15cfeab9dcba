import { setTimeout as delay } from "node:timers/promises";
import { Agent } from "undici";
import type { ProviderId } from "../otp/model.js";
import { providerGuard, type Guard } from "./guard.js";
import type {
  BodyScrubber,
  ExchangeFault,
  UpstreamFormRequest,
  UpstreamLogger,
  UpstreamObserver,
  UpstreamReply,
  UpstreamRequest,
  UpstreamResult,
  UpstreamTracer,
} from "./http-types.js";
import { ReplyLog } from "./reply-log.js";
import type { ResilienceSettings } from "./resilience.js";
import { SentValues } from "./sent-values.js";
import { Deadline, isNetworkError, isRefused, parseJson, readCapped, replyHeaders } from "./wire.js";

export type * from "./http-types.js";

/** What goes on the wire: the URL, every header, the encoded body, and the values it encodes (masked in logs). */
interface WireRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  values: unknown;
  outage?: ((reply: UpstreamReply) => boolean) | undefined;
}

export interface UpstreamClientOptions {
  /** The whole exchange, connection to last body byte, retry included. */
  timeoutMs: number;
  /** Bodies larger than this are not read to the end. */
  maxBodyBytes: number;
  /** The provider (or other upstream, e.g. `HUMAN_VERIFIER`) this client calls, for logs. */
  provider?: ProviderId;
  /** A breaker and an in-flight cap for this client's provider ({@link providerGuard}); none when absent. */
  resilience?: ResilienceSettings;
  observer?: UpstreamObserver;
  logger?: UpstreamLogger;
  /** How an undocumented reply's body is logged; without it the body is not logged, only its size. */
  scrubBody?: BodyScrubber;
  /** Spans of the calls (OpenTelemetry), when tracing is on. */
  tracer?: UpstreamTracer;
  /** The pause before the one retry of a refused connection. */
  refusedRetryDelayMs?: number;
}

const DEFAULT_REFUSED_RETRY_DELAY_MS = 100;
/** Parsed URLs kept per client: an adapter's URLs are fixed by its settings, so a few are all there are. */
const MAX_TARGETS = 16;

/**
 * The HTTP client of one provider: transport only. A send is never retried once it may have reached the provider
 * (a retried send is a second SMS); a connection refused before anything was sent is retried once. The timeout
 * covers the whole exchange, body included, and bodies past the cap are not read.
 *
 * What callers add comes as hooks: the breaker and in-flight cap (`resilience`, see {@link providerGuard}), spans
 * (`tracer`), and the log of replies a mapping noted ({@link replies}, see `settle`). Logins that renew on a 401
 * wrap the client (see `renewal.ts`).
 */
export class UpstreamClient {
  /** The logging hook: acts on what a mapping noted about a reply (undocumented, unrecognised). */
  readonly replies: ReplyLog;
  readonly #agent: Agent;
  readonly #timeoutMs: number;
  readonly #maxBodyBytes: number;
  readonly #retryDelayMs: number;
  readonly #observer: UpstreamObserver;
  readonly #tracer: UpstreamTracer | undefined;
  readonly #guard: Guard | undefined;
  /** Each URL this client posts to, parsed once (an adapter posts to one or two fixed URLs). */
  readonly #targets = new Map<string, { origin: string; path: string }>();

  constructor(options: UpstreamClientOptions) {
    const { provider, observer, logger, resilience } = options;
    this.#timeoutMs = options.timeoutMs;
    this.#maxBodyBytes = options.maxBodyBytes;
    this.#retryDelayMs = options.refusedRetryDelayMs ?? DEFAULT_REFUSED_RETRY_DELAY_MS;
    this.#observer = observer ?? {};
    this.#tracer = options.tracer;
    this.replies = new ReplyLog({ provider, logger, observer, scrubBody: options.scrubBody });
    // Keep-alive connections of this provider only. undici follows no redirect: a redirect is an answer to map,
    // not an invitation to send the OTP request somewhere else. The phase timeouts only back up the deadline.
    this.#agent = new Agent({
      keepAliveTimeout: 10_000,
      connect: { timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    this.#guard = resilience && providerGuard(resilience, { provider, observer, logger });
  }

  /** POST one JSON request; never rejects for anything the provider or the network does. */
  postJson(request: UpstreamRequest): Promise<UpstreamResult> {
    const headers = { ...request.headers, "content-type": "application/json" };
    const body = JSON.stringify(request.json);
    return this.#call({ url: request.url, headers, body, values: request.json, outage: request.outage });
  }

  /** POST one form; never rejects for anything the upstream or the network does. */
  postForm(request: UpstreamFormRequest): Promise<UpstreamResult> {
    const headers = { "content-type": "application/x-www-form-urlencoded" };
    const body = new URLSearchParams(request.form).toString();
    return this.#call({ url: request.url, headers, body, values: request.form });
  }

  /** Stop keeping connections to the provider. */
  async close(): Promise<void> {
    await this.#agent.close();
  }

  /** One call through the hooks: its span around the guard, the guard around the exchange. */
  #call(request: WireRequest): Promise<UpstreamResult> {
    const traced = this.#tracer?.start("POST", request.url);
    const exchange = () => this.#exchange(request);
    const result = this.#guard ? this.#guard(exchange) : exchange();
    if (!traced) return result;
    return result.then((ended) => {
      traced(ended);
      return ended;
    });
  }

  async #exchange(request: WireRequest): Promise<UpstreamResult> {
    const started = performance.now();
    const deadline = new Deadline(this.#timeoutMs);
    let result: UpstreamResult;
    try {
      result = await this.#attempts(request, deadline);
    } finally {
      deadline.clear();
    }
    result.ms = Math.round(performance.now() - started);
    if (result.ok && request.outage?.(result)) result.outage = true;
    this.#observer.exchanged?.(result.ok ? "reply" : (result.fault as ExchangeFault), result.ms);
    return result;
  }

  /** The exchange's attempts (`ms` is filled in by the caller). */
  async #attempts(request: WireRequest, deadline: Deadline): Promise<UpstreamResult> {
    let status: number | null = null;
    const { headers, body } = request;
    // Worked out only when something is logged or passed on: the regular-expression build costs microseconds.
    let sent: SentValues | undefined;
    const maskSent = (text: string) => (sent ??= SentValues.of(request.values, headers)).mask(text);
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.#agent.request({
          ...this.#target(request.url),
          method: "POST",
          headers,
          body,
          signal: deadline.signal,
        });
        status = response.statusCode;
        const text = await readCapped(response, this.#maxBodyBytes);
        if (text === null) return { ok: false, fault: "tooLarge", status, ms: 0 };
        const reply = replyHeaders(response.headers);
        return { ok: true, status, headers: reply, body: parseJson(text), text, maskSent, ms: 0 };
      } catch (error) {
        if (deadline.passed) return { ok: false, fault: "timeout", status, ms: 0 };
        if (!isNetworkError(error)) throw error;
        // Refused means no connection, so nothing was sent: the one case a send may be repeated.
        if (status === null && isRefused(error)) {
          if (attempt === 1 && this.#retryDelayMs < deadline.remainingMs) {
            await delay(this.#retryDelayMs);
            continue;
          }
          return { ok: false, fault: "network", status, ms: 0, notSent: true };
        }
        return { ok: false, fault: "network", status, ms: 0 };
      }
    }
  }

  #target(url: string): { origin: string; path: string } {
    let target = this.#targets.get(url);
    if (!target) {
      const parsed = new URL(url);
      target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
      if (this.#targets.size < MAX_TARGETS) this.#targets.set(url, target);
    }
    return target;
  }
}
