/** What an upstream call is made of and answers: the shapes adapters, hooks and observers share with the client. */
import type { RefusalReason, PolicyObserver } from "./resilience.js";

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

/** What one call answers: a reply, or a fault. */
export type UpstreamResult = UpstreamReply | UpstreamFault;

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
  start(method: string, url: string): ((result: UpstreamResult) => void) | undefined;
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
