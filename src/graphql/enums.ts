/** The schema's enums, built from the constants that define their values once. */
import { registerEnumType } from "type-graphql";
import { RATE_LIMIT_SOURCES } from "../otp/model.js";
import { HUMAN_VERIFICATION_REASONS, HUMAN_VERIFIER_KINDS } from "../otp/human-verification.js";
import { PROVIDERS, type ProviderId } from "../providers/registry.js";

/** A GraphQL enum object (`{ NAME: "NAME" }`) of `names`. */
function enumOf<Name extends string>(names: readonly Name[]): { [N in Name]: N } {
  return Object.fromEntries(names.map((name) => [name, name])) as { [N in Name]: N };
}

/** The providers, as the schema names them: the registry's ids, in its order. */
export const OtpProvider = enumOf<ProviderId>(PROVIDERS.map((provider) => provider.id));
registerEnumType(OtpProvider, {
  name: "OtpProvider",
  description: "A provider that can send a one-time password.",
  valuesConfig: Object.fromEntries(PROVIDERS.map(({ id, description }) => [id, { description }])),
});

/** Who refused a request for being too frequent. */
export const RateLimitSource = enumOf(RATE_LIMIT_SOURCES);
registerEnumType(RateLimitSource, {
  name: "RateLimitSource",
  description: "Who refused the request for being too frequent.",
  valuesConfig: {
    LOCAL_POLICY: {
      description: "This service's own limits (cooldown, hourly caps per destination, device or IP).",
    },
    PROVIDER: { description: "The provider's limits." },
  },
});

/** The human verifiers whose widget a frontend may be asked to show. */
export const HumanVerifierKind = enumOf(HUMAN_VERIFIER_KINDS);
registerEnumType(HumanVerifierKind, {
  name: "HumanVerifierKind",
  description: "A human verifier (CAPTCHA-like widget) whose token `requestOtp` accepts as `humanProof`.",
  valuesConfig: {
    TURNSTILE: { description: "Cloudflare Turnstile." },
    HCAPTCHA: { description: "hCaptcha." },
    RECAPTCHA: { description: "Google reCAPTCHA (v2)." },
  },
});

/** Why a proof that a person is asking is needed. */
export const HumanVerificationReason = enumOf(HUMAN_VERIFICATION_REASONS);
registerEnumType(HumanVerificationReason, {
  name: "HumanVerificationReason",
  description: "Why `requestOtp` asks for a human verifier's proof.",
  valuesConfig: {
    ALWAYS_REQUIRED: { description: "This service asks for a proof before every send." },
    RECENT_ACTIVITY: {
      description: "The device, network or number range asked for several OTPs in the last hour.",
    },
    PROOF_REJECTED: {
      description: "The proof given was rejected by the verifier (wrong, expired or already used).",
    },
  },
});
