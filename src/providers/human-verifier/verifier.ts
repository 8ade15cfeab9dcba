/**
 * The human verifier: Cloudflare Turnstile, hCaptcha and Google reCAPTCHA share one server-side protocol. The
 * frontend's widget gives the user a token; this service POSTs it as a form (`secret`, `response`, `remoteip`) to
 * the verifier's siteverify URL, which answers JSON `{ success, "error-codes", hostname, challenge_ts }`, with
 * `action` (Turnstile, reCAPTCHA v3) and `score` (reCAPTCHA v3). `success` says the token is genuine; the hostname,
 * action and score checks (when configured) say it was made for this service. A token is good for one check only,
 * so a check is never retried once it may have reached the verifier (the shared upstream client retries only a
 * refused connection, when nothing was sent); Turnstile's `idempotency_key`, which lets a caller re-check a token,
 * is therefore not sent.
 */
import type {
  HumanVerifier,
  HumanVerifierKind,
  ProofExpectations,
  ProofVerdict,
} from "../../otp/human-verification.js";
import type { UpstreamClient, UpstreamFault, UpstreamReply } from "../http-client.js";
import { asRecord } from "../outcomes.js";

/** Each verifier's documented siteverify URL. */
export const SITEVERIFY_URLS: Record<HumanVerifierKind, string> = {
  TURNSTILE: "https://challenges.cloudflare.com/turnstile/v0/siteverify",
  HCAPTCHA: "https://api.hcaptcha.com/siteverify",
  RECAPTCHA: "https://www.google.com/recaptcha/api/siteverify",
};

/**
 * `error-codes` that say this service, not the user, is at fault (a missing or wrong secret, a key pair that does
 * not match, a malformed request) or that the verifier failed: the proof could not be judged.
 */
const NOT_THE_USERS_FAULT = new Set([
  "missing-input-secret",
  "invalid-input-secret",
  "sitekey-secret-mismatch",
  "bad-request",
  "internal-error",
]);

export interface HumanVerifierSettings extends ProofExpectations {
  kind: HumanVerifierKind;
  secret: string;
  siteKey: string;
  url: string;
}

/** Where the verifier's answers that need an operator are reported: never with the secret or the token. */
export interface HumanVerifierLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Which check a genuine token failed, and what the answer said there (only when it is a short, plain value). */
interface ProofMismatch {
  check: "hostname" | "action" | "score";
  received: string | number | null;
}

/** A verifier that checks proofs at `settings.url` through `http` (timeout, breaker, in-flight cap). */
export function createHumanVerifier(
  settings: HumanVerifierSettings,
  http: UpstreamClient,
  logger?: HumanVerifierLogger,
): HumanVerifier {
  return {
    kind: settings.kind,
    siteKey: settings.siteKey,
    async verify(token, remoteIp) {
      const reply = await http.postForm({
        url: settings.url,
        form: { secret: settings.secret, response: token, ...(remoteIp !== null && { remoteip: remoteIp }) },
      });
      const { verdict, errorCodes, mismatch } = siteverifyVerdict(reply, settings);
      if (mismatch) logMismatch(settings, mismatch, logger);
      if (verdict === "unavailable") {
        logger?.warn(
          {
            verifier: settings.kind,
            status: reply.status,
            fault: reply.ok ? null : reply.fault,
            errorCodes,
          },
          "human verifier could not judge a proof",
        );
      }
      return verdict;
    },
  };
}

/**
 * The verdict in one siteverify exchange, with the error codes (documented short strings) it gave; a genuine token
 * that fails an expectation is `failed`, with the check it failed.
 */
function siteverifyVerdict(
  reply: UpstreamReply | UpstreamFault,
  expected: ProofExpectations,
): { verdict: ProofVerdict; errorCodes: string[]; mismatch?: ProofMismatch } {
  if (!reply.ok || reply.status !== 200) return { verdict: "unavailable", errorCodes: [] };
  const body = asRecord(reply.body);
  const codes = body?.["error-codes"];
  const errorCodes = (Array.isArray(codes) ? codes : [])
    .filter((code): code is string => typeof code === "string" && /^[\w-]{1,64}$/.test(code))
    .slice(0, 8);
  if (body?.success === true) {
    const mismatch = proofMismatch(body, expected, reply.maskSent);
    return mismatch ? { verdict: "failed", errorCodes, mismatch } : { verdict: "passed", errorCodes };
  }
  if (body?.success !== false || errorCodes.some((code) => NOT_THE_USERS_FAULT.has(code))) {
    return { verdict: "unavailable", errorCodes };
  }
  return { verdict: "failed", errorCodes };
}

/**
 * The first expectation a passing answer fails, or null. A field the answer lacks fails its check. `maskSent`
 * masks what the request sent (the token, the secret), so that an answer echoing them is not logged.
 */
function proofMismatch(
  body: Record<string, unknown>,
  expected: ProofExpectations,
  maskSent: (text: string) => string = (text) => text,
): ProofMismatch | null {
  const { hostnames, action, minScore } = expected;
  const { hostname, score } = body;
  /** A value the verifier answered, fit for a log line: short, plain and nothing it was sent; else null. */
  const plain = (value: unknown) =>
    typeof value === "string" && /^[\w.:/-]{0,64}$/.test(value) && maskSent(value) === value ? value : null;
  if (hostnames !== null && !(typeof hostname === "string" && hostnames.has(hostname.toLowerCase()))) {
    return { check: "hostname", received: plain(hostname) };
  }
  if (action !== null && body.action !== action) return { check: "action", received: plain(body.action) };
  if (minScore !== null && !(typeof score === "number" && score >= minScore)) {
    return { check: "score", received: typeof score === "number" ? score : null };
  }
  return null;
}

/**
 * A low score is a bot doing what bots do (info); a hostname, an action or a score missing says the token was made
 * for another page, or that the settings do not fit the verifier's keys (warn: an operator should look).
 */
function logMismatch(settings: HumanVerifierSettings, mismatch: ProofMismatch, logger?: HumanVerifierLogger) {
  const expected = {
    hostname: settings.hostnames && [...settings.hostnames],
    action: settings.action,
    score: settings.minScore,
  }[mismatch.check];
  const fields = { verifier: settings.kind, check: mismatch.check, expected, received: mismatch.received };
  if (mismatch.check === "score" && mismatch.received !== null) {
    logger?.info(fields, "human proof rejected: score below OTP_HUMAN_VERIFIER_MIN_SCORE");
  } else {
    logger?.warn(fields, `human proof rejected: its ${mismatch.check} is not the one this service expects`);
  }
}
