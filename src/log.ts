import { LogController, type FastifyReply, type FastifyRequest } from "fastify";
import { pino, type DestinationStream, type Logger } from "pino";

/**
 * Keys whose values are secrets or personal data wherever they appear. They are removed by configuration (the
 * {@link redactLine} formatter of every line, and {@link scrubBody} for upstream bodies), not by care at each call: a log line never carries an OTP,
 * a password, an Aadhaar number, a client secret, a token or a full phone number.
 */
export const SENSITIVE_KEYS = [
  "password",
  "otp",
  "devOtp",
  "ovdData",
  "aadhaar",
  "aadhaarNumber",
  "clientSecret",
  "client_secret",
  "secret",
  "accessToken",
  "access_token",
  "apiToken",
  "api_token",
  "token",
  "stateToken",
  "state_token",
  "authorization",
  "cookie",
  "phone",
  "mobile",
  "mobileNumber",
  "customerMobileNumber",
  "username",
  "pan",
  "gstin",
] as const;

/** How deep below the top of a log line a sensitive key is still found. */
const REDACT_DEPTH = 4;

export const CENSOR = "[redacted]";

const sensitiveInLines = new Set<string>(SENSITIVE_KEYS.map((key) => key.toLowerCase()));

/**
 * A log line's fields with the value of every {@link SENSITIVE_KEYS} key censored, at any depth up to
 * {@link REDACT_DEPTH}, in any letter case. Copies only what it changes, so a clean line costs one walk.
 */
export function redactLine<T>(value: T, depth = 0): T {
  if (depth > REDACT_DEPTH || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item: unknown, index) => {
      const next = redactLine(item, depth + 1);
      if (next !== item) (copy ??= [...value])[index] = next;
    });
    return (copy ?? value) as T;
  }
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(record)) {
    const next = sensitiveInLines.has(key.toLowerCase()) ? CENSOR : redactLine(item, depth + 1);
    if (next !== item) (copy ??= { ...record })[key] = next;
  }
  return (copy ?? value) as T;
}

/** Keys that are secret only in what a provider sends back (GST echoes the access token as `id`). */
const BODY_ONLY_KEYS = ["id", "patronId"];
const bodyKeys = [...SENSITIVE_KEYS, ...BODY_ONLY_KEYS];
const sensitive = new Set<string>(bodyKeys.map((key) => key.toLowerCase()));
const keyValue = new RegExp(
  `(["']?\\b(?:${bodyKeys.join("|")})["']?\\s*[:=]\\s*)((?:bearer|basic)\\s+\\S+|"[^"]*"?|'[^']*'?|[^\\s,&;}\\]]*)`,
  "gi",
);
/** Long runs of token characters with a digit in them: opaque tokens under keys no list can know. */
const opaqueToken = /(?=[\w+/=-]*\d)[\w+/=-]{24,}/g;

/**
 * An upstream body made safe to log: every value of `sent` masked wherever it appears (before anything else, so
 * no other rule can break one up), sensitive keys censored at any depth, `key: value` pairs of sensitive keys
 * censored in text that is not JSON, opaque tokens and every run of four or more digits masked (OTPs, Aadhaar
 * and phone numbers), and at most `maxChars` characters.
 */
export function scrubBody(body: unknown, sent?: SentValues, maxChars = 1024): string {
  const text = typeof body === "string" ? body : jsonWithoutSensitiveKeys(body);
  return (sent ? sent.mask(text) : text)
    .slice(0, maxChars * 2)
    .replace(keyValue, `$1"${CENSOR}"`)
    .replace(opaqueToken, CENSOR)
    .replace(/\d{4,}/g, (digits) => "#".repeat(digits.length))
    .slice(0, maxChars);
}

function jsonWithoutSensitiveKeys(value: unknown): string {
  const json = JSON.stringify(value, (key, inner: unknown) =>
    sensitive.has(key.toLowerCase()) ? CENSOR : inner,
  ) as string | undefined;
  // undefined for a value with no JSON form
  return json ?? String(value);
}

/** Values shorter than this are not masked by value: "IN", "1" or "en" would blot out every log line. */
const MIN_MASKED_LENGTH = 3;

/**
 * The secret and personal values one request sent upstream (its body's strings and numbers, its credential
 * headers), masked wherever a provider echoes them back: as sent, in any letter case, JSON-escaped (once, twice,
 * or with `\uXXXX` for non-ASCII), URL-encoded (`%20` or `+`), and HTML-escaped. A key-name list cannot know
 * that `{"loc": ["body", "password"], "input": "…"}` holds a password; the value itself can be found.
 */
export class SentValues {
  readonly #pattern: RegExp | null;

  constructor(values: Iterable<string>) {
    const forms = new Set<string>();
    for (const value of values) {
      if (value.length < MIN_MASKED_LENGTH) continue;
      for (const form of encodings(value)) forms.add(form);
    }
    const alternatives = [...forms].sort((a, b) => b.length - a.length).map(escapeRegExp);
    this.#pattern = alternatives.length === 0 ? null : new RegExp(alternatives.join("|"), "gi");
  }

  /** The values of an upstream request: every string and number of its body, and its credential headers. */
  static of(body: unknown, headers: Record<string, string>): SentValues {
    const values: string[] = [];
    collectLeaves(body, values);
    for (const [name, value] of Object.entries(headers)) {
      if (PUBLIC_HEADERS.has(name.toLowerCase())) continue;
      values.push(value, ...value.split(/\s+/).filter((part) => !/^(?:basic|bearer)$/i.test(part)));
      const basic = /^basic\s+([A-Za-z0-9+/=]+)$/i.exec(value);
      if (basic?.[1]) {
        const decoded = Buffer.from(basic[1], "base64").toString("utf8");
        const colon = decoded.indexOf(":");
        values.push(decoded, decoded.slice(0, colon), decoded.slice(colon + 1));
      }
    }
    return new SentValues(values);
  }

  /** `text` with every form of every value replaced by {@link CENSOR}. */
  mask(text: string): string {
    return this.#pattern ? text.replace(this.#pattern, CENSOR) : text;
  }

  /** Every string in `value`, at any depth, masked; copies only what it changes. */
  maskDeep<T>(value: T): T {
    if (typeof value === "string") return this.mask(value) as T;
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) return value.map((item: unknown) => this.maskDeep(item)) as T;
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, this.maskDeep(item as unknown)]),
    ) as T;
  }
}

/** Headers that carry no secret or personal value. */
const PUBLIC_HEADERS = new Set(["content-type", "accept", "user-agent"]);

function collectLeaves(value: unknown, into: string[]): void {
  if (typeof value === "string") into.push(value);
  else if (typeof value === "number") into.push(String(value));
  else if (Array.isArray(value)) for (const item of value) collectLeaves(item, into);
  else if (value !== null && typeof value === "object") {
    for (const item of Object.values(value)) collectLeaves(item, into);
  }
}

/** The ways a value can be written in a body a provider sends back. */
function encodings(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const asciiJson = json.replace(
    /[^\x20-\x7e]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  const url = encodeURIComponent(value);
  return [
    value,
    json,
    JSON.stringify(json).slice(1, -1),
    asciiJson,
    url,
    url.replace(/%20/g, "+"),
    encodeURI(value),
    new URLSearchParams({ v: value }).toString().slice(2),
    value.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char] ?? char),
  ];
}

const HTML_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The process's structured JSON logger, with ISO timestamps. Every line goes through {@link redactLine}
 * (pino's `redact` with wildcard paths for every key at every depth cost more than the rest of a request).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { log: (fields) => redactLine(fields) },
    },
    destination,
  );
}

/**
 * Fastify's own lines for each request at `debug` (at `info` the one line per request is `requestOtp`), under
 * the label `requestId`; request errors stay at `error`.
 */
export class RequestLogController extends LogController {
  constructor() {
    super({ requestIdLogLabel: "requestId" });
  }

  override incomingRequest(request: FastifyRequest): void {
    // The route, not the URL: a GET's query string may carry GraphQL variables.
    request.log.debug({ method: request.method, route: request.routeOptions.url }, "incoming request");
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) super.requestCompleted(error, request, reply);
    else
      reply.log.debug(
        { statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) },
        "request completed",
      );
  }
}
