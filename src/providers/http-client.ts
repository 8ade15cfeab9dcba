import { EventEmitter } from "node:events";
import type { IncomingHttpHeaders } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import { Agent, errors, type Dispatcher } from "undici";
import type { ProviderId } from "../otp/model.js";
import {
  isRefusal,
  ProviderPolicy,
  type BreakerState,
  type PolicyObserver,
  type RefusalReason,
  type ResilienceSettings,
} from "./resilience.js";
import { SentValues } from "./sent-values.js";

/** One upstream call as an adapter describes it: a POST of `json`, with `content-type: application/json`. */
export interface UpstreamRequest {
  /** Replies besides 5xx that count against the provider's breaker (e.g. a 404 that says the path is wrong). */
  outage?: (reply: UpstreamReply) => boolean;
  url: string;
  headers?: Record<string, string>;
  json: unknown;
}

/** A POST of an HTML form (`application/x-www-form-urlencoded`), as the human verifiers' siteverify takes it. */
export interface UpstreamFormRequest {
  url: string;
  form: Record<string, string>;
}

/** What goes on the wire: the URL, every header, the encoded body, and the values it encodes (masked in logs). */
interface WireRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  values: unknown;
  outage?: (reply: UpstreamReply) => boolean;
}

/** A reply's headers, looked up by name in any case. */
export interface ReplyHeaders {
  get(name: string): string | null;
}

/** The provider answered: its status, headers and body (parsed JSON, or `undefined` when it was not JSON). */
export interface UpstreamReply {
  ok: true;
  status: number;
  headers: ReplyHeaders;
  body: unknown;
  /** The body as received, for the log line of a reply no document describes (scrubbed there). */
  text: string;
  /**
   * `text` with every value the request sent (its body's strings, its credential headers) masked, in every form a
   * provider may echo it: for what is logged of the reply and for its free text passed on (`providerText`).
   */
  maskSent?: (text: string) => string;
  /** Upstream milliseconds, for logs and metrics. */
  ms: number;
  /** The request said this reply counts against the breaker (see {@link UpstreamRequest.outage}). */
  outage?: true;
}

/** How an exchange with the provider failed to give a usable answer. */
export type ExchangeFault = "timeout" | "network" | "tooLarge";

/**
 * The provider could not be heard (`timeout`, `network`: refused, reset, cut short), answered more than the cap
 * (`tooLarge`), or was not called at all because its breaker is open or its in-flight cap is reached.
 */
export interface UpstreamFault {
  ok: false;
  fault: ExchangeFault | RefusalReason;
  /** The HTTP status when headers arrived before the fault. */
  status: number | null;
  ms: number;
  /** For a call refused without calling: when it is worth trying again. */
  retryAfterSeconds?: number;
  /** Nothing reached the provider: refused by the breaker or the cap, or the connection itself was refused. */
  notSent?: true;
}

/** What a client reports as it works; metrics implement it. Nothing personal is passed. */
export interface UpstreamObserver extends PolicyObserver {
  /** One exchange ended (after its one retry, if any); not called for refused calls. */
  exchanged?(outcome: "reply" | ExchangeFault, ms: number): void;
  /** An adapter found a reply undocumented. */
  undocumented?(): void;
  /** A reply was mapped although `field` (a fixed name, e.g. `responseCode`) held a value its document lacks. */
  unrecognised?(field: string): void;
}

/** Told of each call as it starts; the function it returns is called with how the call ended. */
export interface UpstreamTracer {
  start(method: string, url: string): ((result: UpstreamReply | UpstreamFault) => void) | undefined;
}

/** The part of a pino logger the client uses. */
export interface UpstreamLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * Makes a reply's body safe to log (the logger's scrubber: secrets, personal data and long digit runs removed),
 * with `maskSent` applied to it first.
 */
export type BodyScrubber = (body: unknown, maskSent?: (text: string) => string) => string;

export interface UpstreamClientOptions {
  /** The whole exchange, connection to last body byte, retry included. */
  timeoutMs: number;
  /** Bodies larger than this are not read to the end. */
  maxBodyBytes: number;
  /** The provider (or other upstream, e.g. `HUMAN_VERIFIER`) this client calls, for logs. */
  provider?: ProviderId;
  /** A breaker and an in-flight cap for this client's provider; none when absent. */
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
 * The HTTP client of one provider. A send is never retried once it may have reached the provider (a retried
 * send is a second SMS); a connection refused before anything was sent is retried once. The timeout covers the
 * whole exchange, body included, and bodies past the cap are not read. With `resilience`, a circuit breaker and
 * an in-flight cap answer for the provider without calling it.
 */
export class UpstreamClient {
  readonly #agent: Agent;
  readonly #options: UpstreamClientOptions;
  readonly #observer: UpstreamObserver;
  readonly #policy: ProviderPolicy<UpstreamReply | UpstreamFault> | undefined;
  /** Each URL this client posts to, parsed once (an adapter posts to one or two fixed URLs). */
  readonly #targets = new Map<string, { origin: string; path: string }>();

  constructor(options: UpstreamClientOptions) {
    this.#options = options;
    this.#observer = options.observer ?? {};
    // Keep-alive connections of this provider only. undici follows no redirect: a redirect is an answer to map,
    // not an invitation to send the OTP request somewhere else. The phase timeouts only back up the deadline.
    this.#agent = new Agent({
      keepAliveTimeout: 10_000,
      connect: { timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    if (options.resilience) {
      this.#policy = new ProviderPolicy(options.resilience, isOutage, this.#policyObserver());
    }
  }

  /** POST one JSON request; never rejects for anything the provider or the network does. */
  async postJson(request: UpstreamRequest): Promise<UpstreamReply | UpstreamFault> {
    const headers = { ...request.headers, "content-type": "application/json" };
    const body = JSON.stringify(request.json);
    const { url, outage } = request;
    return this.#traced({ url, headers, body, values: request.json, ...(outage && { outage }) });
  }

  /** POST one form; never rejects for anything the upstream or the network does. */
  async postForm(request: UpstreamFormRequest): Promise<UpstreamReply | UpstreamFault> {
    const headers = { "content-type": "application/x-www-form-urlencoded" };
    const body = new URLSearchParams(request.form).toString();
    return this.#traced({ url: request.url, headers, body, values: request.form });
  }

  async #traced(request: WireRequest): Promise<UpstreamReply | UpstreamFault> {
    const traced = this.#options.tracer?.start("POST", request.url);
    const result = await this.#post(request);
    traced?.(result);
    return result;
  }

  async #post(request: WireRequest): Promise<UpstreamReply | UpstreamFault> {
    if (!this.#policy) return this.#exchange(request);
    const result = await this.#policy.run(() => this.#exchange(request));
    if (!isRefusal(result)) return result;
    return {
      ok: false,
      fault: result.refused,
      status: null,
      ms: 0,
      retryAfterSeconds: result.retryAfterSeconds,
      notSent: true,
    };
  }

  async #exchange(request: WireRequest): Promise<UpstreamReply | UpstreamFault> {
    const result = await this.#send(request);
    if (result.ok && request.outage?.(result)) result.outage = true;
    this.#observer.exchanged?.(result.ok ? "reply" : (result.fault as ExchangeFault), result.ms);
    return result;
  }

  /**
   * Log a reply its provider's document does not describe: its size and type, and its body scrubbed; `hint` says
   * what an operator should check.
   */
  logUndocumented(reply: UpstreamReply, hint?: string): void {
    const { logger, scrubBody, provider } = this.#options;
    this.#observer.undocumented?.();
    const contentType = reply.headers.get("content-type");
    logger?.warn(
      {
        provider,
        status: reply.status,
        contentType: contentType && (reply.maskSent?.(contentType) ?? contentType),
        bytes: Buffer.byteLength(reply.text),
        ...(scrubBody && { body: scrubBody(reply.body ?? reply.text, reply.maskSent) }),
        ...(hint && { hint }),
      },
      "undocumented reply",
    );
  }

  /**
   * Note a reply that was mapped (as `mappedAs`) although `field` held a value its provider's document does not
   * list: logged with the value scrubbed, and counted, so operators learn it.
   */
  noteUnrecognised(reply: UpstreamReply, field: string, value: unknown, mappedAs: string): void {
    const { logger, scrubBody, provider } = this.#options;
    logger?.warn(
      {
        provider,
        status: reply.status,
        field,
        mappedAs,
        ...(scrubBody && { value: scrubBody(value, reply.maskSent) }),
      },
      "unrecognised value in a reply",
    );
    this.#observer.unrecognised?.(field);
  }

  /** Stop keeping connections to the provider. */
  async close(): Promise<void> {
    await this.#agent.close();
  }

  async #send(request: WireRequest): Promise<UpstreamReply | UpstreamFault> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    // undici takes an EventEmitter as the abort signal: as good as an AbortSignal here, at a fraction of its cost.
    const deadline = new Deadline(this.#options.timeoutMs);
    try {
      return await this.#attempts(request, deadline, elapsed);
    } finally {
      deadline.clear();
    }
  }

  async #attempts(
    request: WireRequest,
    deadline: Deadline,
    elapsed: () => number,
  ): Promise<UpstreamReply | UpstreamFault> {
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
        const text = await readCapped(response, this.#options.maxBodyBytes);
        if (text === null) return { ok: false, fault: "tooLarge", status, ms: elapsed() };
        return {
          ok: true,
          status,
          headers: replyHeaders(response.headers),
          body: parseJson(text),
          text,
          maskSent,
          ms: elapsed(),
        };
      } catch (error) {
        if (deadline.passed) return { ok: false, fault: "timeout", status, ms: elapsed() };
        if (!isNetworkError(error)) throw error;
        // Refused means no connection, so nothing was sent: the one case a send may be repeated.
        if (status === null && isRefused(error)) {
          const delayMs = this.#options.refusedRetryDelayMs ?? DEFAULT_REFUSED_RETRY_DELAY_MS;
          if (attempt === 1 && delayMs < deadline.remainingMs) {
            await delay(delayMs);
            continue;
          }
          return { ok: false, fault: "network", status, ms: elapsed(), notSent: true };
        }
        return { ok: false, fault: "network", status, ms: elapsed() };
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

  #policyObserver(): PolicyObserver {
    const { observer, logger, provider } = this.#options;
    let last: BreakerState = "closed";
    return {
      breakerChanged: (state) => {
        if (state !== last) logger?.warn({ provider, breaker: state, previous: last }, "circuit breaker");
        last = state;
        observer?.breakerChanged?.(state);
      },
      inFlightChanged: (count) => observer?.inFlightChanged?.(count),
      refused: (reason) => observer?.refused?.(reason),
    };
  }
}

/** What counts against a provider's breaker: it could not be heard, or it answered with a server error. */
export function isOutage(result: UpstreamReply | UpstreamFault): boolean {
  if (result.ok) return result.status >= 500 || result.outage === true;
  return result.fault === "timeout" || result.fault === "network";
}

/** The whole exchange's time limit: one timer, and the signal undici aborts on. */
class Deadline {
  readonly signal = new EventEmitter();
  readonly #at: number;
  readonly #timer: NodeJS.Timeout;
  #passed = false;

  constructor(ms: number) {
    this.#at = Date.now() + ms;
    this.#timer = setTimeout(() => {
      this.#passed = true;
      this.signal.emit("abort");
    }, ms);
  }

  get passed(): boolean {
    return this.#passed;
  }

  get remainingMs(): number {
    return this.#at - Date.now();
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

/**
 * The body as text, or null (and the connection dropped) past `maxBytes`. Read with the stream's events: an
 * async iterator costs a promise per chunk, on every send.
 */
async function readCapped(response: Dispatcher.ResponseData, maxBytes: number): Promise<string | null> {
  const declared = Number(response.headers["content-length"]);
  const { body } = response;
  if (declared > maxBytes) {
    body.destroy();
    return null;
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on("data", (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        body.destroy();
        resolve(null);
      } else chunks.push(chunk);
    });
    body.once("end", () => {
      resolve(Buffer.concat(chunks, size).toString("utf8"));
    });
    body.once("error", reject);
  });
}

function replyHeaders(raw: IncomingHttpHeaders): ReplyHeaders {
  return {
    get: (name) => {
      const value = raw[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** undici's own errors (closed socket, timeouts, abort) and the system's (refused, reset, DNS). */
function isNetworkError(error: unknown): boolean {
  return error instanceof errors.UndiciError || (error instanceof Error && "code" in error);
}

/** ECONNREFUSED anywhere in the cause chain (for every address tried, when there were several). */
function isRefused(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if ("code" in current && current.code === "ECONNREFUSED") return true;
    if (current instanceof AggregateError && current.errors.length > 0) {
      return current.errors.every((inner) => isRefused(inner));
    }
  }
  return false;
}
