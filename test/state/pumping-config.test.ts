import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

const live = { PHONE_BASE_URL: "http://127.0.0.1:9", OTP_ALLOW_NO_ROUTER_SECRET: "true" };

describe("SMS-pumping settings", () => {
  it("defaults: any country, mobile numbers, 20 per range of 3 digits, no budgets, no human verification", () => {
    const config = loadConfig(live);
    expect(config.phonePolicy).toEqual({
      allowedCountries: null,
      allowedTypes: new Set(["MOBILE", "FIXED_LINE_OR_MOBILE"]),
    });
    expect(config.limits).toMatchObject({
      maxPerRangePerHour: 20,
      rangeSuffixDigits: 3,
      maxPerProviderPerHour: 0,
      maxPerCountryPerHour: 0,
    });
    expect(config.humanVerification).toEqual({
      mode: "off",
      after: 2,
      failOpen: false,
      maxPerIpPerMinute: 10,
      verifier: null,
    });
    // Sandbox mode relaxes the range cap as it does the other local limits (one person walks the magic inputs).
    expect(loadConfig({}).limits.maxPerRangePerHour).toBe(1000);
  });

  it("reads lists in any case and with spaces", () => {
    const config = loadConfig({
      OTP_PHONE_ALLOWED_COUNTRIES: " in, us ",
      OTP_PHONE_ALLOWED_TYPES: "mobile,FIXED_LINE",
    });
    expect(config.phonePolicy).toEqual({
      allowedCountries: new Set(["IN", "US"]),
      allowedTypes: new Set(["MOBILE", "FIXED_LINE"]),
    });
  });

  it("reads a live verifier, its URL the verifier's documented siteverify URL", () => {
    const config = loadConfig({
      ...live,
      OTP_HUMAN_VERIFICATION: "adaptive",
      OTP_HUMAN_VERIFICATION_AFTER: "3",
      OTP_HUMAN_VERIFIER: "hcaptcha",
      OTP_HUMAN_VERIFIER_SECRET: "0xlive-secret",
      OTP_HUMAN_VERIFIER_SITE_KEY: "site-key",
      OTP_HUMAN_VERIFIER_FAIL_OPEN: "true",
      OTP_HUMAN_VERIFIER_MAX_PER_IP_PER_MINUTE: "4",
    });
    expect(config.humanVerification).toEqual({
      mode: "adaptive",
      after: 3,
      failOpen: true,
      maxPerIpPerMinute: 4,
      verifier: {
        kind: "HCAPTCHA",
        secret: "0xlive-secret",
        siteKey: "site-key",
        url: "https://api.hcaptcha.com/siteverify",
        hostnames: null,
        action: null,
        minScore: null,
      },
    });
  });

  it("resolves a sandbox verifier to its documented test keys and the sandbox's fake, unless set", () => {
    const sandbox = { providers: {}, humanVerifierUrl: "http://127.0.0.1:9/siteverify" };
    const config = loadConfig({ OTP_HUMAN_VERIFICATION: "always" }, sandbox);
    expect(config.humanVerification.verifier).toMatchObject({
      kind: "TURNSTILE",
      secret: "1x0000000000000000000000000000000AA",
      siteKey: "1x00000000000000000000AA",
      url: sandbox.humanVerifierUrl,
    });
    const own = loadConfig(
      { OTP_HUMAN_VERIFICATION: "always", OTP_HUMAN_VERIFIER_URL: "http://127.0.0.1:8/verify" },
      sandbox,
    );
    expect(own.humanVerification.verifier?.url).toBe("http://127.0.0.1:8/verify");
  });

  it("warns (a configuration warning) when a live verifier checks no hostnames", () => {
    const env = {
      ...live,
      OTP_HUMAN_VERIFICATION: "always",
      OTP_HUMAN_VERIFIER: "turnstile",
      OTP_HUMAN_VERIFIER_SECRET: "0x4AAAAAAAlive-secret",
      OTP_HUMAN_VERIFIER_SITE_KEY: "0x4AAAAAAAlive-site-key",
    };
    expect(loadConfig(env).warnings).toEqual([
      expect.stringMatching(
        /^OTP_HUMAN_VERIFIER_HOSTNAMES is not set: .* set it to the hostnames/,
      ) as unknown,
    ]);
    expect(loadConfig({ ...env, OTP_HUMAN_VERIFIER_HOSTNAMES: "app.example.com" }).warnings).toEqual([]);
  });

  it("reads the hostnames (in any case), the action and reCAPTCHA v3's minimum score a proof must have", () => {
    const config = loadConfig({
      ...live,
      OTP_HUMAN_VERIFICATION: "always",
      OTP_HUMAN_VERIFIER: "recaptcha",
      OTP_HUMAN_VERIFIER_SECRET: "live-secret",
      OTP_HUMAN_VERIFIER_SITE_KEY: "site-key",
      OTP_HUMAN_VERIFIER_HOSTNAMES: " App.Example.com, www.example.com ",
      OTP_HUMAN_VERIFIER_ACTION: "request_otp",
      OTP_HUMAN_VERIFIER_MIN_SCORE: "0.7",
    });
    expect(config.humanVerification.verifier).toMatchObject({
      hostnames: new Set(["app.example.com", "www.example.com"]),
      action: "request_otp",
      minScore: 0.7,
    });
  });

  it.each([
    [{ OTP_PHONE_ALLOWED_COUNTRIES: "IN,XX,India" }, "OTP_PHONE_ALLOWED_COUNTRIES: XX, INDIA"],
    [
      { OTP_PHONE_ALLOWED_TYPES: "MOBILE,PREMIUM_RATE,TOLL_FREE" },
      "PREMIUM_RATE, TOLL_FREE can never receive",
    ],
    [{ OTP_PHONE_ALLOWED_TYPES: "CELL" }, "OTP_PHONE_ALLOWED_TYPES: CELL is not one of"],
    [{ OTP_RANGE_SUFFIX_DIGITS: "0" }, "OTP_RANGE_SUFFIX_DIGITS"],
    [{ OTP_HUMAN_VERIFICATION: "sometimes" }, "OTP_HUMAN_VERIFICATION"],
    [{ OTP_HUMAN_VERIFIER: "captcha" }, "OTP_HUMAN_VERIFIER"],
    [
      { ...live, OTP_HUMAN_VERIFIER_URL: "http://verifier.example.com/siteverify" },
      "OTP_HUMAN_VERIFIER_URL: must be an https:// URL",
    ],
    [
      { ...live, OTP_HUMAN_VERIFICATION: "always" },
      "OTP_HUMAN_VERIFIER, OTP_HUMAN_VERIFIER_SECRET, OTP_HUMAN_VERIFIER_SITE_KEY: required when OTP_HUMAN_VERIFICATION=always",
    ],
    [
      {
        ...live,
        NODE_ENV: "production",
        OTP_HUMAN_VERIFICATION: "always",
        OTP_HUMAN_VERIFIER: "turnstile",
        OTP_HUMAN_VERIFIER_SECRET: "1x0000000000000000000000000000000AA",
        OTP_HUMAN_VERIFIER_SITE_KEY: "1x00000000000000000000AA",
      },
      "OTP_HUMAN_VERIFIER_SECRET: a documented test secret is refused when NODE_ENV=production",
    ],
    [
      {
        OTP_HUMAN_VERIFICATION: "always",
        OTP_HUMAN_VERIFIER_HOSTNAMES: "https://app.example.com,ok.example.com",
      },
      "OTP_HUMAN_VERIFIER_HOSTNAMES: https://app.example.com is not a hostname",
    ],
    [
      { OTP_HUMAN_VERIFICATION: "always", OTP_HUMAN_VERIFIER: "hcaptcha", OTP_HUMAN_VERIFIER_ACTION: "otp" },
      "OTP_HUMAN_VERIFIER_ACTION: hCaptcha's siteverify answers no action",
    ],
    [{ OTP_HUMAN_VERIFIER_ACTION: "request otp" }, "OTP_HUMAN_VERIFIER_ACTION: 1 to 64 letters"],
    [
      { OTP_HUMAN_VERIFICATION: "always", OTP_HUMAN_VERIFIER_MIN_SCORE: "0.5" },
      "OTP_HUMAN_VERIFIER_MIN_SCORE: only reCAPTCHA v3 answers a score",
    ],
    [{ OTP_HUMAN_VERIFIER_MIN_SCORE: "5" }, "OTP_HUMAN_VERIFIER_MIN_SCORE"],
  ])("refuses %j, saying %s", (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("never names a secret in its errors", () => {
    expect(() =>
      loadConfig({
        ...live,
        OTP_HUMAN_VERIFICATION: "always",
        OTP_HUMAN_VERIFIER_SECRET: "very-secret-value",
      }),
    ).toThrow(/^(?!.*very-secret-value)/);
  });
});
