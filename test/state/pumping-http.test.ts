/**
 * The SMS-pumping policy through the whole subgraph, sandbox mode: the sandbox's human verifier fake with the
 * verifiers' documented test keys, the phone policy on every input that is a phone, metrics and log lines.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { execute } from "../helpers/client.js";
import { startCapturedApp, type CapturedApp } from "../observability/capture.js";
import { HUMAN_VERIFIER_TEST_KEYS } from "../../src/providers/human-verifier/sandbox.js";
import { json, startUpstream, type Upstream } from "../helpers/upstream.js";

const TURNSTILE = HUMAN_VERIFIER_TEST_KEYS.TURNSTILE;
const phone = (number: string, deviceId: string) => ({ phone: { phone: number, country: "IN", deviceId } });

describe("human verification in sandbox mode (OTP_HUMAN_VERIFICATION=always)", () => {
  let subgraph: CapturedApp;
  beforeAll(async () => {
    subgraph = await startCapturedApp({ OTP_HUMAN_VERIFICATION: "always", LOG_LEVEL: "trace" });
  });
  afterAll(() => subgraph.close());

  it("asks for Turnstile with its documented always-pass site key, then sends with a token", async () => {
    const asked = await execute(subgraph.url, RequestOtpDocument, { input: phone("+919876543210", "hv-1") });
    expect(asked.body.data?.requestOtp).toEqual({
      __typename: "HumanVerificationRequired",
      message: "Please confirm you are not a robot, then ask again.",
      provider: "PHONE",
      providerCode: null,
      retryable: false,
      verifier: "TURNSTILE",
      siteKey: TURNSTILE.siteKey,
      reason: "ALWAYS_REQUIRED",
    });
    const proved = await execute(subgraph.url, RequestOtpDocument, {
      input: phone("+919876543210", "hv-1"),
      humanProof: TURNSTILE.token,
    });
    expect(proved.body.data?.requestOtp).toMatchObject({ __typename: "OtpSent" });
  });

  it("never logs the token or the secret, and counts the refusal by provider, country and reason", async () => {
    const text = subgraph.raw.join("");
    expect(text).not.toContain(TURNSTILE.token);
    expect(text).not.toContain(TURNSTILE.passSecret);
    expect(subgraph.requestLines().map((line) => [line.result, line.refusedBy, line.country])).toEqual([
      ["HumanVerificationRequired", "humanVerification", "IN"],
      ["OtpSent", null, "IN"],
    ]);
    const metrics = await (await fetch(`${subgraph.origin}/metrics`)).text();
    expect(metrics).toContain(
      'otp_policy_refusals_total{provider="PHONE",country="IN",reason="humanVerification"} 1',
    );
    expect(metrics).toContain('otp_sends_total{provider="PHONE",country="IN"} 1');
    expect(metrics).not.toMatch(/9876543210/);
  });
});

describe("junk proofs over HTTP count against the IP cap before the verifier is called", () => {
  let subgraph: CapturedApp;
  let verifier: Upstream;
  beforeAll(async () => {
    verifier = await startUpstream(json(200, { success: false, "error-codes": ["invalid-input-response"] }));
    subgraph = await startCapturedApp({
      OTP_HUMAN_VERIFICATION: "always",
      OTP_HUMAN_VERIFIER_URL: `${verifier.url}/siteverify`,
      OTP_MAX_PER_IP_PER_HOUR: "10",
    });
  });
  afterAll(async () => {
    await subgraph.close();
    await verifier.close();
  });

  it("40 junk proofs from one IP: 10 siteverify calls, 30 RateLimited, counted by reason", async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, async (_, index) => {
        const { body } = await execute(subgraph.url, RequestOtpDocument, {
          input: phone(`+91987650${String(index).padStart(4, "0")}`, `junk-${index}`),
          humanProof: `junk-token-${index}`,
        });
        const result = body.data?.requestOtp;
        return result?.__typename === "HumanVerificationRequired" ? result.reason : result?.__typename;
      }),
    );
    expect(answers.filter((answer) => answer === "PROOF_REJECTED")).toHaveLength(10);
    expect(answers.filter((answer) => answer === "RateLimited")).toHaveLength(30);
    expect(verifier.requests).toHaveLength(10);
    const metrics = await (await fetch(`${subgraph.origin}/metrics`)).text();
    expect(metrics).toContain('otp_policy_refusals_total{provider="PHONE",country="IN",reason="ip"} 30');
  });
});

describe("the sandbox verifier's always-fail test secret", () => {
  let subgraph: CapturedApp;
  beforeAll(async () => {
    subgraph = await startCapturedApp({
      OTP_HUMAN_VERIFICATION: "always",
      OTP_HUMAN_VERIFIER_SECRET: TURNSTILE.failSecret ?? "",
    });
  });
  afterAll(() => subgraph.close());

  it("rejects every proof: HumanVerificationRequired again, PROOF_REJECTED", async () => {
    const { body } = await execute(subgraph.url, RequestOtpDocument, {
      input: phone("+919876543211", "hv-2"),
      humanProof: TURNSTILE.token,
    });
    expect(body.data?.requestOtp).toMatchObject({
      __typename: "HumanVerificationRequired",
      reason: "PROOF_REJECTED",
      message: "The check that you are not a robot did not pass. Please try it again.",
    });
  });
});

describe("OTP_HUMAN_VERIFIER_HOSTNAMES", () => {
  let subgraph: CapturedApp;
  beforeAll(async () => {
    // The sandbox's verifier answers `hostname: "localhost"`, as if the widget were solved on a page there.
    subgraph = await startCapturedApp({
      OTP_HUMAN_VERIFICATION: "always",
      OTP_HUMAN_VERIFIER_HOSTNAMES: "app.example.com",
    });
  });
  afterAll(() => subgraph.close());

  it("rejects a genuine token solved on another hostname, and says so in a warning without the token", async () => {
    const { body } = await execute(subgraph.url, RequestOtpDocument, {
      input: phone("+919876543215", "hv-3"),
      humanProof: TURNSTILE.token,
    });
    expect(body.data?.requestOtp).toMatchObject({
      __typename: "HumanVerificationRequired",
      reason: "PROOF_REJECTED",
    });
    expect(subgraph.lines().filter((line) => line.check === "hostname")).toEqual([
      expect.objectContaining({
        level: 40,
        verifier: "TURNSTILE",
        expected: ["app.example.com"],
        received: "localhost",
      }),
    ]);
    const text = subgraph.raw.join("");
    expect(text).not.toContain(TURNSTILE.token);
    expect(text).not.toContain(TURNSTILE.passSecret);
  });
});

describe("human verification in production", () => {
  const production = {
    NODE_ENV: "production",
    PHONE_BASE_URL: "http://127.0.0.1:9",
    ROUTER_SECRET: "r".repeat(32),
    OTP_HUMAN_VERIFICATION: "adaptive",
    OTP_HUMAN_VERIFIER: "turnstile",
    OTP_HUMAN_VERIFIER_SECRET: "0x4AAAAAAAlive-secret",
    OTP_HUMAN_VERIFIER_SITE_KEY: "0x4AAAAAAAlive-site-key",
  };
  const startWarnings = async (env: Record<string, string>) => {
    const subgraph = await startCapturedApp(env);
    await subgraph.close();
    return subgraph.lines().filter((line) => String(line.msg).startsWith("OTP_HUMAN_VERIFIER_HOSTNAMES"));
  };

  it("warns at start when OTP_HUMAN_VERIFIER_HOSTNAMES is not set, saying how to set it", async () => {
    expect(await startWarnings(production)).toEqual([
      expect.objectContaining({
        level: 40,
        msg: expect.stringMatching(/set it to the hostnames of the pages that show the widget/) as unknown,
      }),
    ]);
    expect(await startWarnings({ ...production, OTP_HUMAN_VERIFIER_HOSTNAMES: "app.example.com" })).toEqual(
      [],
    );
  });
});

describe("the phone policy on every input that is a phone", () => {
  let subgraph: CapturedApp;
  beforeAll(async () => {
    subgraph = await startCapturedApp({ OTP_PHONE_ALLOWED_COUNTRIES: "US" });
  });
  afterAll(() => subgraph.close());

  it.each([
    ["paytm", { paytm: { phone: "9876543210", deviceIdentifier: "device-p" } }, "paytm.phone"],
    [
      "dmt",
      {
        dmt: {
          customerMobileNumber: "9876543210",
          otpType: "CUSTOMER_REGISTRATION" as const,
          username: "agent",
          ovdType: "Aadhaar Card",
          ovdData: "234567890124",
        },
      },
      "dmt.customerMobileNumber",
    ],
    ["phone", phone("+919876543210", "device-q"), "phone.phone"],
  ])(
    "%s: an Indian number outside OTP_PHONE_ALLOWED_COUNTRIES=US is InvalidInput on %s",
    async (_name, input, field) => {
      const { body } = await execute(subgraph.url, RequestOtpDocument, { input });
      expect(body.data?.requestOtp).toMatchObject({
        __typename: "InvalidInput",
        providerCode: null,
        fieldErrors: [{ field, message: "OTPs cannot be sent to phone numbers of this country." }],
      });
    },
  );

  it("a phone.country that disagrees with the number is InvalidInput on phone.country", async () => {
    const { body } = await execute(subgraph.url, RequestOtpDocument, {
      input: { phone: { phone: "+14155552671", country: "CA", deviceId: "device-r" } },
    });
    expect(body.data?.requestOtp).toMatchObject({
      __typename: "InvalidInput",
      fieldErrors: [{ field: "phone.country", message: "The phone number is not a number of CA." }],
    });
  });

  it("metrics count the refusals by reason, with the country from the number", async () => {
    const metrics = await (await fetch(`${subgraph.origin}/metrics`)).text();
    for (const provider of ["PAYTM", "DMT", "PHONE"]) {
      expect(metrics).toContain(
        `otp_policy_refusals_total{provider="${provider}",country="IN",reason="countryNotAllowed"} 1`,
      );
    }
  });
});
