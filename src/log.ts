import { pino, type DestinationStream, type Logger } from "pino";
import { PROVIDER_SENSITIVE_FIELDS, PROVIDER_SENSITIVE_REPLY_FIELDS } from "./providers/registry.js";

/** Keys of the service's own vocabulary whose values are secrets or personal data, whatever the provider. */
const SERVICE_SENSITIVE_KEYS = [
  "password",
  "otp",
  "devOtp",
  "secret",
  "token",
  "authorization",
  "cookie",
  "phone",
  "mobile",
  "mobileNumber",
  "humanProof",
];

/**
 * Keys whose values are secrets or personal data wherever they appear: the service's own, and every provider's
 * (its descriptor's `sensitiveFields` and secret settings, from the registry). They are removed by configuration
 * (the {@link redactLine} formatter of every line, and {@link scrubBody} for upstream bodies), not by care at
 * each call: a log line never carries an OTP, a password, an Aadhaar number, a client secret, a token or a full
 * phone number.
 */
export const SENSITIVE_KEYS: readonly string[] = [
  ...new Set([...SERVICE_SENSITIVE_KEYS, ...PROVIDER_SENSITIVE_FIELDS]),
];

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
const bodyKeys = [...new Set([...SENSITIVE_KEYS, ...PROVIDER_SENSITIVE_REPLY_FIELDS])];
const sensitive = new Set<string>(bodyKeys.map((key) => key.toLowerCase()));
const keyValue = new RegExp(
  `(["']?\\b(?:${bodyKeys.join("|")})["']?\\s*[:=]\\s*)((?:bearer|basic)\\s+\\S+|"[^"]*"?|'[^']*'?|[^\\s,&;}\\]]*)`,
  "gi",
);
/** Long runs of token characters with a digit in them: opaque tokens under keys no list can know. */
const opaqueToken = /(?=[\w+/=-]*\d)[\w+/=-]{24,}/g;

/**
 * An upstream body made safe to log: every value the request sent masked wherever it appears (`maskSent`, see
 * `src/providers/sent-values.ts`) (before anything else, so
 * no other rule can break one up), sensitive keys censored at any depth, `key: value` pairs of sensitive keys
 * censored in text that is not JSON, opaque tokens and every run of four or more digits masked (OTPs, Aadhaar
 * and phone numbers), and at most `maxChars` characters.
 */
export function scrubBody(body: unknown, maskSent?: (text: string) => string, maxChars = 1024): string {
  const text = typeof body === "string" ? body : jsonWithoutSensitiveKeys(body);
  return (maskSent ? maskSent(text) : text)
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

/**
 * The process's structured JSON logger, with ISO timestamps. Every line goes through {@link redactLine}
 * (pino's `redact` with wildcard paths for every key at every depth cost more than the rest of a request).
 */
export function createLogger(
  level: string,
  destination?: DestinationStream,
  /** Fields added to every line (the trace and span ids of the request being handled). */
  mixin?: () => Record<string, unknown>,
): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { log: (fields) => redactLine(fields) },
      ...(mixin && { mixin }),
    },
    destination,
  );
}
