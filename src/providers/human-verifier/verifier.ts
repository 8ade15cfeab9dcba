/**
 * The human verifier: Cloudflare Turnstile, hCaptcha and Google reCAPTCHA share one server-side protocol. The
 * frontend's widget gives the user a token; this service POSTs it as a form (`secret`, `response`, `remoteip`) to
 * the verifier's siteverify URL, which answers JSON `{ success, "error-codes", hostname, challenge_ts }`. A token
 * is good for one check only, so a check is never retried once it may have reached the verifier (the shared
 * upstream client retries only a refused connection).
 */
import type { HumanVerifier, HumanVerifierKind, ProofVerdict } from "../../otp/human-verification.js";
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

export interface HumanVerifierSettings {
  kind: HumanVerifierKind;
  secret: string;
  siteKey: string;
  url: string;
}

/** Where the verifier's answers that need an operator are reported: never with the secret or the token. */
export interface HumanVerifierLogger {
  warn(fields: Record<string, unknown>, message: string): void;
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
      const { verdict, errorCodes } = siteverifyVerdict(reply);
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

/** The verdict in one siteverify exchange, with the error codes (documented short strings) it gave. */
export function siteverifyVerdict(reply: UpstreamReply | UpstreamFault): {
  verdict: ProofVerdict;
  errorCodes: string[];
} {
  if (!reply.ok || reply.status !== 200) return { verdict: "unavailable", errorCodes: [] };
  const body = asRecord(reply.body);
  const codes = body?.["error-codes"];
  const errorCodes = (Array.isArray(codes) ? codes : [])
    .filter((code): code is string => typeof code === "string" && /^[\w-]{1,64}$/.test(code))
    .slice(0, 8);
  if (body?.success === true) return { verdict: "passed", errorCodes };
  if (body?.success !== false || errorCodes.some((code) => NOT_THE_USERS_FAULT.has(code))) {
    return { verdict: "unavailable", errorCodes };
  }
  return { verdict: "failed", errorCodes };
}
