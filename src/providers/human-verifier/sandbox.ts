/**
 * A fake of the verifiers' siteverify endpoint (Turnstile, hCaptcha, reCAPTCHA share it), answering by the
 * secret as the verifiers document their test keys: an always-pass secret passes any token, Turnstile's
 * always-fail secret fails every one, its "spent" secret answers `timeout-or-duplicate`, any other secret is
 * `invalid-input-secret`. A form POST with `secret` and `response` is required, as the real ones require it.
 */
import type { HumanVerifierKind } from "../../otp/human-verification.js";
import type { FakeProvider, FakeResponse } from "../../sandbox/fake-server.js";

export const SITEVERIFY_PATH = "/siteverify";

/** The test keys each verifier documents (reCAPTCHA and hCaptcha document an always-pass pair only). */
export const HUMAN_VERIFIER_TEST_KEYS: Record<
  HumanVerifierKind,
  { siteKey: string; passSecret: string; failSecret?: string; spentSecret?: string; token: string }
> = {
  TURNSTILE: {
    siteKey: "1x00000000000000000000AA",
    passSecret: "1x0000000000000000000000000000000AA",
    failSecret: "2x0000000000000000000000000000000AA",
    spentSecret: "3x0000000000000000000000000000000AA",
    token: "XXXX.DUMMY.TOKEN.XXXX",
  },
  HCAPTCHA: {
    siteKey: "10000000-ffff-ffff-ffff-000000000001",
    passSecret: "0x0000000000000000000000000000000000000000",
    token: "10000000-aaaa-bbbb-cccc-000000000001",
  },
  RECAPTCHA: {
    siteKey: "6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI",
    passSecret: "6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe",
    token: "sandbox-recaptcha-token",
  },
};

const PASS = new Set(Object.values(HUMAN_VERIFIER_TEST_KEYS).map((keys) => keys.passSecret));

const answer = (success: boolean, errorCodes: string[] = []): FakeResponse => ({
  status: 200,
  body: {
    success,
    "error-codes": errorCodes,
    ...(success && { hostname: "localhost", challenge_ts: new Date().toISOString() }),
  },
});

export const humanVerifierSandbox: FakeProvider = ({ method, path, headers, text }) => {
  if (method !== "POST" || path !== SITEVERIFY_PATH) return { status: 404, body: { success: false } };
  if (!headers["content-type"]?.startsWith("application/x-www-form-urlencoded")) {
    return answer(false, ["bad-request"]);
  }
  const form = new URLSearchParams(text);
  const secret = form.get("secret") ?? "";
  const response = form.get("response") ?? "";
  if (secret === "") return answer(false, ["missing-input-secret"]);
  if (response === "") return answer(false, ["missing-input-response"]);
  if (PASS.has(secret)) return answer(true);
  if (secret === HUMAN_VERIFIER_TEST_KEYS.TURNSTILE.failSecret)
    return answer(false, ["invalid-input-response"]);
  if (secret === HUMAN_VERIFIER_TEST_KEYS.TURNSTILE.spentSecret)
    return answer(false, ["timeout-or-duplicate"]);
  return answer(false, ["invalid-input-secret"]);
};
