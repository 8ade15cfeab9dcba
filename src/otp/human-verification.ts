/**
 * Step-up human verification: when a send must first be proved to come from a person (a CAPTCHA-like widget
 * on the frontend), and the port through which a proof is checked. The verifier's HTTP client lives in
 * `providers/`; this module knows no HTTP.
 */

/** `off`: never asked; `always`: every send; `adaptive`: once the device, network or range was busy this hour. */
export type HumanVerificationMode = "off" | "always" | "adaptive";

/** The verifiers this service can check proofs with (one server-side protocol, three URLs). */
export const HUMAN_VERIFIER_KINDS = ["TURNSTILE", "HCAPTCHA", "RECAPTCHA"] as const;
export type HumanVerifierKind = (typeof HUMAN_VERIFIER_KINDS)[number];

/** Why a proof is asked for. */
export const HUMAN_VERIFICATION_REASONS = ["ALWAYS_REQUIRED", "RECENT_ACTIVITY", "PROOF_REJECTED"] as const;
export type HumanVerificationReason = (typeof HUMAN_VERIFICATION_REASONS)[number];

/** The verifier's verdict on one proof: `unavailable` when it could not be asked or did not answer usefully. */
export type ProofVerdict = "passed" | "failed" | "unavailable";

/**
 * What a passing answer must also say before its proof is taken: the verifier says the token is genuine, these say
 * it was made for this service. Each is off when null; a proof that fails one is rejected like a wrong token.
 */
export interface ProofExpectations {
  /** The hostnames (lower case) of the pages that show the widget: the answer's `hostname` must be one. */
  hostnames: ReadonlySet<string> | null;
  /** The widget's `action` (Turnstile, reCAPTCHA v3): the answer's must be this one. */
  action: string | null;
  /** reCAPTCHA v3: the lowest `score` (0.0, a bot, to 1.0, a person) that passes. */
  minScore: number | null;
}

/** Checks one proof (a widget's token) with the verifier. Never rejects for anything the verifier does. */
export interface HumanVerifier {
  readonly kind: HumanVerifierKind;
  /** The public site key the frontend's widget is rendered with. */
  readonly siteKey: string;
  verify(token: string, remoteIp: string | null): Promise<ProofVerdict>;
}

/** What the use case needs to decide and check. */
export interface HumanVerificationPolicy {
  mode: HumanVerificationMode;
  /** Adaptive: sends in the hour by one device, network or range after which a proof is asked for. */
  after: number;
  verifier: HumanVerifier;
  /** When the verifier is unreachable: let the send through (true) or refuse it (false, the default). */
  failOpen: boolean;
  /**
   * Calls to the verifier per client network (an IPv4 address, an IPv6 /64) in a sliding minute, counted before
   * each call (0: off; {@link DEFAULT_VERIFIER_PER_IP_PER_MINUTE} when absent), so that one network cannot hold
   * the verifier client's in-flight slots.
   */
  maxPerIpPerMinute?: number;
}

/** `OTP_HUMAN_VERIFIER_MAX_PER_IP_PER_MINUTE`'s default. */
export const DEFAULT_VERIFIER_PER_IP_PER_MINUTE = 10;

/** A widget token is at most a few kilobytes; anything longer is not one. */
export const MAX_HUMAN_PROOF_LENGTH = 4096;

/** Whether a proof is needed for a send, given how busy its device, network and range were this hour. */
export function proofNeeded(
  policy: Pick<HumanVerificationPolicy, "mode" | "after">,
  recentSends: Readonly<Record<string, number>>,
): HumanVerificationReason | null {
  if (policy.mode === "always") return "ALWAYS_REQUIRED";
  if (policy.mode === "adaptive" && Object.values(recentSends).some((count) => count >= policy.after)) {
    return "RECENT_ACTIVITY";
  }
  return null;
}
