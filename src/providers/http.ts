import ky, { type KyInstance } from "ky";
import type { OtpFailure, ProviderId } from "../otp/model.js";

/** One upstream call as an adapter describes it. */
export interface UpstreamRequest {
  url: string;
  headers: Record<string, string>;
  json: unknown;
}

/** The provider answered: its status, headers and body (parsed JSON, or `undefined` when it was not JSON). */
export interface UpstreamReply {
  ok: true;
  status: number;
  headers: Headers;
  body: unknown;
  /** Upstream milliseconds, for logs and metrics. */
  ms: number;
}

/** The provider could not be heard: nothing, or nothing usable, came back. */
export interface UpstreamFault {
  ok: false;
  fault: "timeout" | "network" | "tooLarge";
  /** The HTTP status when headers arrived before the fault. */
  status: number | null;
  ms: number;
}

export interface UpstreamClientOptions {
  timeoutMs: number;
  /** Bodies larger than this are not read to the end. */
  maxBodyBytes: number;
}

/**
 * The one HTTP client every adapter shares. A send is never retried (a retried send is a second SMS); the
 * timeout covers the whole exchange, body included.
 */
export class UpstreamClient {
  readonly #ky: KyInstance;
  readonly #options: UpstreamClientOptions;

  constructor(options: UpstreamClientOptions) {
    this.#options = options;
    this.#ky = ky.create({ retry: 0, timeout: false, throwHttpErrors: false });
  }

  async post(request: UpstreamRequest): Promise<UpstreamReply | UpstreamFault> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const signal = AbortSignal.timeout(this.#options.timeoutMs);
    let status: number | null = null;
    try {
      const response = await this.#ky.post(request.url, {
        headers: request.headers,
        json: request.json,
        signal,
      });
      status = response.status;
      const text = await readCapped(response, this.#options.maxBodyBytes);
      if (text === null) return { ok: false, fault: "tooLarge", status, ms: elapsed() };
      return { ok: true, status, headers: response.headers, body: parseJson(text), ms: elapsed() };
    } catch (error) {
      const fault = signal.aborted ? "timeout" : "network";
      if (fault === "network" && !isNetworkError(error)) throw error;
      return { ok: false, fault, status, ms: elapsed() };
    }
  }
}

async function readCapped(response: Response, maxBytes: number): Promise<string | null> {
  const declared = Number(response.headers.get("content-length"));
  if (declared > maxBytes) {
    await response.body?.cancel();
    return null;
  }
  if (!response.body) return "";
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** fetch reports refused, reset and DNS failures as a TypeError; a body cut short rejects the reader. */
function isNetworkError(error: unknown): boolean {
  return error instanceof TypeError || (error instanceof Error && "code" in error);
}

/** The outcome for a fault: the provider could not be heard, so the same request may work later. */
export function faultOutcome(provider: ProviderId, fault: UpstreamFault): OtpFailure {
  if (fault.fault === "tooLarge") return unexpectedResponse(provider, fault.status);
  return {
    kind: "ProviderUnavailable",
    provider,
    providerCode: fault.status === null ? null : String(fault.status),
    retryable: true,
    retryAfterSeconds: null,
    message: `${provider} could not be reached. Please try again shortly.`,
  };
}

/** A reply that matches no documented shape: an undocumented 5xx is an outage, anything else is unexpected. */
export function undocumentedReply(provider: ProviderId, reply: UpstreamReply): OtpFailure {
  if (reply.status >= 500) {
    return faultOutcome(provider, { ok: false, fault: "network", status: reply.status, ms: reply.ms });
  }
  return unexpectedResponse(provider, reply.status);
}

function unexpectedResponse(provider: ProviderId, status: number | null): OtpFailure {
  return {
    kind: "UnexpectedProviderResponse",
    provider,
    providerCode: status === null ? null : String(status),
    retryable: false,
    message: `${provider} gave an answer this service does not understand.`,
  };
}

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date), or null. */
export function retryAfterSeconds(headers: Headers, now = Date.now()): number | null {
  const value = headers.get("retry-after");
  if (value === null || value.trim() === "") return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000));
}

/** `value` when it is a plain object. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
