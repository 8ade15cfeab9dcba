/**
 * The SMS-pumping policy against a real loopback upstream, in memory and in Redis: phone country and number type,
 * caps per number range, budgets per provider and country, step-up human verification with a loopback verifier.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import type { HumanVerificationPolicy, ProofExpectations } from "../../src/otp/human-verification.js";
import type { BudgetReached } from "../../src/otp/limits.js";
import type { OtpOutcome } from "../../src/otp/model.js";
import type { OtpServiceOptions } from "../../src/otp/otp-service.js";
import type { OtpStore } from "../../src/otp/store/store.js";
import { UpstreamClient } from "../../src/providers/http-client.js";
import { createHumanVerifier } from "../../src/providers/human-verifier/verifier.js";
import { startFake, type RunningFake } from "../../src/sandbox/fake-server.js";
import {
  HUMAN_VERIFIER_TEST_KEYS,
  SITEVERIFY_PATH,
  humanVerifierSandbox,
} from "../../src/providers/human-verifier/sandbox.js";
import { json, refusedUrl, startUpstream, type Upstream } from "../helpers/upstream.js";
import { backends, manualClock, phoneService, type ManualClock, asked } from "./fixtures.js";

const redisUrl = inject("redisUrl");
const SENT = json(200, { success: true, message: "request processed successfully", data: { otp: 123456 } });
const TURNSTILE = HUMAN_VERIFIER_TEST_KEYS.TURNSTILE;

let upstream: Upstream;
let verifierFake: RunningFake;
let verifierUpstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream(SENT);
  verifierFake = await startFake(humanVerifierSandbox);
  verifierUpstream = await startUpstream(json(200, { success: true }));
});
afterAll(async () => {
  await Promise.all([upstream.close(), verifierFake.close(), verifierUpstream.close()]);
});

/** A PHONE input for any E.164 number, with its country. */
const phone = (number: string, country = "IN", deviceId = "device-1") => ({
  phone: { phone: number, country, deviceId },
});
/** The `index`-th number of the Indian range +91 98765 43xxx. */
const inRange = (index: number) =>
  `+91987654${String(index).padStart(4, "0")}`.replace(/^(\+\d{12}).*$/, "$1");

function verification(
  overrides: Partial<HumanVerificationPolicy & ProofExpectations> & { secret?: string; url?: string } = {},
) {
  const { secret, url, hostnames = null, action = null, minScore = null, ...policy } = overrides;
  return {
    mode: "always",
    after: 2,
    failOpen: false,
    verifier: createHumanVerifier(
      {
        kind: "TURNSTILE",
        secret: secret ?? TURNSTILE.passSecret,
        siteKey: TURNSTILE.siteKey,
        url: url ?? `${verifierFake.url}${SITEVERIFY_PATH}`,
        hostnames,
        action,
        minScore,
      },
      new UpstreamClient({ timeoutMs: 1000, maxBodyBytes: 16 * 1024 }),
    ),
    ...policy,
  } satisfies HumanVerificationPolicy;
}

const sentCount = (outcomes: OtpOutcome[]) => outcomes.filter((outcome) => outcome.kind === "OtpSent").length;

for (const backend of backends(redisUrl)) {
  describe.skipIf(backend.skip)(`SMS-pumping policy (${backend.name} store)`, () => {
    let clock: ManualClock;
    let store: OtpStore;
    beforeEach(() => {
      clock = manualClock();
      store = backend.make(clock.now);
      upstream.requests.length = 0;
      verifierUpstream.requests.length = 0;
    });
    afterEach(() => store.close());
    const service = (
      limits: Parameters<typeof phoneService>[0]["limits"] = {},
      options: Partial<OtpServiceOptions> = {},
    ) => phoneService({ baseUrl: upstream.url, store, clock, limits, options });
    const from = (ip: string) => ({ clientIp: ip, idempotencyKey: null });

    describe("the destination's country and number type", () => {
      it("refuses a country outside OTP_PHONE_ALLOWED_COUNTRIES on the phone field, sending and counting nothing", async () => {
        const otp = service(
          { maxPerDevicePerHour: 1 },
          { phonePolicy: { allowedCountries: new Set(["IN"]), allowedTypes: new Set(["MOBILE"]) } },
        );
        for (let attempt = 0; attempt < 3; attempt += 1) {
          expect(await otp.requestOtp(asked(phone("+4915112345678", "DE")), from("198.51.100.1"))).toEqual({
            kind: "InvalidInput",
            provider: "PHONE",
            providerCode: null,
            retryable: false,
            message: "Some fields are not valid.",
            fieldErrors: [
              { field: "phone.phone", message: "OTPs cannot be sent to phone numbers of this country." },
            ],
          });
        }
        expect(upstream.requests).toHaveLength(0);
        // The refusals used none of the device's one send.
        expect(await otp.requestOtp(asked(phone("+919876543210")), from("198.51.100.1"))).toMatchObject({
          kind: "OtpSent",
        });
      });

      it.each([
        ["+18005551234", "US", /toll-free/],
        ["+19005551234", "US", /premium-rate/],
        ["+448712345678", "GB", /premium-rate/],
        ["+911401234567", "IN", /service numbers/],
        ["+447640123456", "GB", /this kind of number/],
        ["+442071838750", "GB", /landline/],
      ])(
        "refuses %s (%s) by its number type, with a message a user understands",
        async (number, country, message) => {
          const otp = service();
          const outcome = await otp.requestOtp(asked(phone(number, country)), from("198.51.100.2"));
          expect(outcome).toMatchObject({
            kind: "InvalidInput",
            providerCode: null,
            fieldErrors: [{ field: "phone.phone", message: expect.stringMatching(message) as unknown }],
          });
          expect(upstream.requests).toHaveLength(0);
        },
      );

      it("sends to a mobile, and to a FIXED_LINE_OR_MOBILE number (a plan that cannot tell them apart)", async () => {
        const otp = service();
        expect(
          await otp.requestOtp(asked(phone("+4915112345678", "DE")), from("198.51.100.3")),
        ).toMatchObject({
          kind: "OtpSent",
        });
        expect(await otp.requestOtp(asked(phone("+14155552671", "US")), from("198.51.100.3"))).toMatchObject({
          kind: "OtpSent",
        });
        expect(upstream.requests.map((request) => (request.json as { country: string }).country)).toEqual([
          "DE",
          "US",
        ]);
      });

      it("sends to a landline only when OTP_PHONE_ALLOWED_TYPES says so", async () => {
        const otp = service(
          {},
          { phonePolicy: { allowedCountries: null, allowedTypes: new Set(["MOBILE", "FIXED_LINE"]) } },
        );
        expect(await otp.requestOtp(asked(phone("+442071838750", "GB")), from("198.51.100.4"))).toMatchObject(
          {
            kind: "OtpSent",
          },
        );
      });
    });

    describe("velocity beyond one number", () => {
      it("a bot walking 100 consecutive numbers of one range from 100 devices and 100 IPs gets the range cap (20) sent", async () => {
        const otp = service();
        const outcomes: OtpOutcome[] = [];
        for (let index = 0; index < 100; index += 1) {
          outcomes.push(
            await otp.requestOtp(
              asked(phone(inRange(index), "IN", `bot-device-${index}`)),
              from(`203.0.113.${index}`),
            ),
          );
          clock.advance(1000);
        }
        expect(sentCount(outcomes)).toBe(20);
        expect(upstream.requests).toHaveLength(20);
        expect(outcomes[20]).toEqual({
          kind: "RateLimited",
          provider: "PHONE",
          providerCode: null,
          retryable: true,
          limitedBy: "LOCAL_POLICY",
          retryAfterSeconds: 3600 - 20,
          message: "Too many OTPs were requested for numbers like this one. Please try again later.",
        });
        // Another range is not held back by this one.
        expect(await otp.requestOtp(asked(phone("+919876512345")), from("203.0.113.200"))).toMatchObject({
          kind: "OtpSent",
        });
      });

      it("OTP_RANGE_SUFFIX_DIGITS sets what a range is; 0 turns the range cap off", async () => {
        const narrow = service({ maxPerRangePerHour: 2, rangeSuffixDigits: 1 });
        const send = (otp: typeof narrow, number: string, index: number) =>
          otp.requestOtp(asked(phone(number, "IN", `d${index}`)), from(`203.0.113.${index}`));
        expect(
          sentCount([await send(narrow, "+919876500010", 1), await send(narrow, "+919876500011", 2)]),
        ).toBe(2);
        expect(await send(narrow, "+919876500012", 3)).toMatchObject({ kind: "RateLimited" });
        expect(await send(narrow, "+919876500020", 4)).toMatchObject({ kind: "OtpSent" });

        const off = service({ maxPerRangePerHour: 0 });
        const outcomes: OtpOutcome[] = [];
        for (let index = 0; index < 30; index += 1) {
          outcomes.push(await send(off, inRange(500 + index), 100 + index));
        }
        expect(sentCount(outcomes)).toBe(30);
      });

      it("a provider budget refuses past its count, and is reported once per window", async () => {
        const reached: BudgetReached[] = [];
        const otp = service(
          { maxPerProviderPerHour: 3 },
          { onBudgetReached: (budget) => reached.push(budget) },
        );
        const outcomes: OtpOutcome[] = [];
        for (let index = 0; index < 6; index += 1) {
          outcomes.push(
            await otp.requestOtp(
              asked(phone(`+9198765${index}0000`, "IN", `d${index}`)),
              from(`203.0.113.${index}`),
            ),
          );
        }
        expect(outcomes.map((outcome) => outcome.kind)).toEqual([
          "OtpSent",
          "OtpSent",
          "OtpSent",
          "RateLimited",
          "RateLimited",
          "RateLimited",
        ]);
        expect(outcomes[3]).toMatchObject({ limitedBy: "LOCAL_POLICY", message: /sending too many OTPs/ });
        expect(reached).toEqual([{ budget: "provider", provider: "PHONE", country: null }]);
        clock.advance(60 * 60 * 1000);
        expect(await otp.requestOtp(asked(phone("+919876590000")), from("203.0.113.9"))).toMatchObject({
          kind: "OtpSent",
        });
      });

      it("a country budget counts that country's numbers only", async () => {
        const reached: BudgetReached[] = [];
        const otp = service(
          { maxPerCountryPerHour: 2 },
          { onBudgetReached: (budget) => reached.push(budget) },
        );
        const kinds: string[] = [];
        for (const [index, [number, country]] of [
          ["+919876510000", "IN"],
          ["+919876520000", "IN"],
          ["+919876530000", "IN"],
          ["+4915112345678", "DE"],
          ["+919876540000", "IN"],
        ].entries()) {
          const outcome = await otp.requestOtp(
            asked(phone(number ?? "", country, `d${index}`)),
            from(`203.0.113.${index}`),
          );
          kinds.push(outcome.kind);
        }
        expect(kinds).toEqual(["OtpSent", "OtpSent", "RateLimited", "OtpSent", "RateLimited"]);
        expect(reached).toEqual([{ budget: "country", provider: "PHONE", country: "IN" }]);
      });

      it("concurrent sends into one range never pass its cap", async () => {
        const otp = service({ maxPerIpPerHour: 0 });
        const outcomes = await Promise.all(
          Array.from({ length: 60 }, (_, index) =>
            otp.requestOtp(asked(phone(inRange(index), "IN", `c${index}`)), from("198.51.100.60")),
          ),
        );
        expect(sentCount(outcomes)).toBe(20);
        expect(upstream.requests).toHaveLength(20);
      });
    });

    describe("step-up human verification", () => {
      it("always: no proof is HumanVerificationRequired, with nothing sent or counted; a passing proof sends", async () => {
        const otp = service({ maxPerDevicePerHour: 1 }, { humanVerification: verification() });
        for (let attempt = 0; attempt < 3; attempt += 1) {
          expect(await otp.requestOtp(asked(phone("+919876543210")), from("198.51.100.7"))).toEqual({
            kind: "HumanVerificationRequired",
            provider: "PHONE",
            providerCode: null,
            retryable: false,
            verifier: "TURNSTILE",
            siteKey: TURNSTILE.siteKey,
            reason: "ALWAYS_REQUIRED",
            message: "Please confirm you are not a robot, then ask again.",
          });
        }
        expect(upstream.requests).toHaveLength(0);
        const proved = { ...from("198.51.100.7"), humanProof: TURNSTILE.token };
        expect(await otp.requestOtp(asked(phone("+919876543210")), proved)).toMatchObject({
          kind: "OtpSent",
        });
        expect(upstream.requests).toHaveLength(1);
      });

      it("sends the documented form (secret, response, remoteip) to the verifier", async () => {
        const otp = service(
          {},
          { humanVerification: verification({ url: `${verifierUpstream.url}/turnstile/v0/siteverify` }) },
        );
        const proved = { ...from("198.51.100.8"), humanProof: "token.from-the-widget" };
        expect(await otp.requestOtp(asked(phone("+919876543211")), proved)).toMatchObject({
          kind: "OtpSent",
        });
        expect(verifierUpstream.requests).toHaveLength(1);
        const [request] = verifierUpstream.requests;
        expect(request?.url).toBe("/turnstile/v0/siteverify");
        expect(request?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
        expect(Object.fromEntries(new URLSearchParams(request?.text))).toEqual({
          secret: TURNSTILE.passSecret,
          response: "token.from-the-widget",
          remoteip: "198.51.100.8",
        });
      });

      it("a rejected proof is HumanVerificationRequired again (PROOF_REJECTED), nothing sent", async () => {
        const otp = service({}, { humanVerification: verification({ secret: TURNSTILE.failSecret }) });
        for (const token of [TURNSTILE.token, "another-token"]) {
          expect(
            await otp.requestOtp(asked(phone("+919876543212")), {
              ...from("198.51.100.9"),
              humanProof: token,
            }),
          ).toMatchObject({ kind: "HumanVerificationRequired", reason: "PROOF_REJECTED" });
        }
        const spent = service({}, { humanVerification: verification({ secret: TURNSTILE.spentSecret }) });
        expect(
          await spent.requestOtp(asked(phone("+919876543213")), {
            ...from("198.51.100.9"),
            humanProof: "used",
          }),
        ).toMatchObject({ kind: "HumanVerificationRequired", reason: "PROOF_REJECTED" });
        expect(upstream.requests).toHaveLength(0);
      });

      it("a genuine token made on another site or for another action is PROOF_REJECTED, nothing sent", async () => {
        const otp = service(
          {},
          {
            humanVerification: verification({
              url: `${verifierUpstream.url}/siteverify`,
              hostnames: new Set(["app.example.com"]),
              action: "otp",
            }),
          },
        );
        const ask = () =>
          otp.requestOtp(asked(phone("+919876543214")), { ...from("198.51.100.9"), humanProof: "genuine" });
        for (const answer of [
          { success: true, hostname: "attacker.example.net", action: "otp" },
          { success: true, hostname: "app.example.com", action: "login" },
        ]) {
          verifierUpstream.respond(json(200, answer));
          expect(await ask()).toMatchObject({ kind: "HumanVerificationRequired", reason: "PROOF_REJECTED" });
        }
        expect(upstream.requests).toHaveLength(0);
        verifierUpstream.respond(json(200, { success: true, hostname: "app.example.com", action: "otp" }));
        expect(await ask()).toMatchObject({ kind: "OtpSent" });
        verifierUpstream.respond(json(200, { success: true }));
      });

      it("adaptive: asks once the device, the IP or the range sent OTP_HUMAN_VERIFICATION_AFTER this hour", async () => {
        const otp = service({}, { humanVerification: verification({ mode: "adaptive", after: 2 }) });
        const ask = (number: string, device: string, ip: string, humanProof?: string) =>
          otp.requestOtp(asked(phone(number, "IN", device)), { ...from(ip), humanProof: humanProof ?? null });
        // Two sends from one device (other numbers, ranges and IPs) need no proof; the third does.
        expect(await ask("+919876510001", "busy-device", "198.51.100.10")).toMatchObject({ kind: "OtpSent" });
        expect(await ask("+919876520001", "busy-device", "198.51.100.11")).toMatchObject({ kind: "OtpSent" });
        expect(await ask("+919876530001", "busy-device", "198.51.100.12")).toMatchObject({
          kind: "HumanVerificationRequired",
          reason: "RECENT_ACTIVITY",
        });
        // The same for one IP, and for one range, each from fresh devices.
        expect(await ask("+919876540001", "d-a", "203.0.113.50")).toMatchObject({ kind: "OtpSent" });
        expect(await ask("+919876550001", "d-b", "203.0.113.50")).toMatchObject({ kind: "OtpSent" });
        expect(await ask("+919876560001", "d-c", "203.0.113.50")).toMatchObject({
          reason: "RECENT_ACTIVITY",
        });
        expect(await ask("+919876570001", "d-d", "203.0.113.60")).toMatchObject({ kind: "OtpSent" });
        expect(await ask("+919876570002", "d-e", "203.0.113.61")).toMatchObject({ kind: "OtpSent" });
        expect(await ask("+919876570003", "d-f", "203.0.113.62")).toMatchObject({
          reason: "RECENT_ACTIVITY",
        });
        // A fresh user is not asked; a busy one with a proof is let through.
        expect(await ask("+919876580001", "fresh", "203.0.113.70")).toMatchObject({ kind: "OtpSent" });
        expect(await ask("+919876530001", "busy-device", "198.51.100.12", TURNSTILE.token)).toMatchObject({
          kind: "OtpSent",
        });
        // An hour later the device is quiet again.
        clock.advance(60 * 60 * 1000);
        expect(await ask("+919876590001", "busy-device", "198.51.100.13")).toMatchObject({ kind: "OtpSent" });
      });

      it("an unreachable verifier refuses (fail closed), or lets the send through with failOpen", async () => {
        const away = `${await refusedUrl()}/siteverify`;
        const closed = service({}, { humanVerification: verification({ url: away }) });
        const proved = { ...from("198.51.100.20"), humanProof: TURNSTILE.token };
        expect(await closed.requestOtp(asked(phone("+919876543220")), proved)).toEqual({
          kind: "ProviderUnavailable",
          provider: "PHONE",
          providerCode: null,
          retryable: true,
          retryAfterSeconds: null,
          message: "Human verification cannot be checked at the moment. Please try again shortly.",
        });
        expect(upstream.requests).toHaveLength(0);

        const letThrough: string[] = [];
        const open = service(
          {},
          {
            humanVerification: verification({ url: away, failOpen: true }),
            onVerifierUnavailable: (provider) => letThrough.push(provider),
          },
        );
        expect(await open.requestOtp(asked(phone("+919876543221")), proved)).toMatchObject({
          kind: "OtpSent",
        });
        expect(letThrough).toEqual(["PHONE"]);
      });

      it.each([
        ["an HTTP 500", json(500, { success: false })],
        ["our secret refused", json(200, { success: false, "error-codes": ["invalid-input-secret"] })],
        ["an undocumented body", json(200, "<html>busy</html>")],
      ])("%s from the verifier is not the user's fault: fail closed", async (_name, answer) => {
        verifierUpstream.respond(answer);
        const otp = service(
          {},
          { humanVerification: verification({ url: `${verifierUpstream.url}/siteverify` }) },
        );
        const proved = { ...from("198.51.100.21"), humanProof: TURNSTILE.token };
        expect(await otp.requestOtp(asked(phone("+919876543222")), proved)).toMatchObject({
          kind: "ProviderUnavailable",
          providerCode: null,
        });
        expect(verifierUpstream.requests).toHaveLength(1);
        expect(upstream.requests).toHaveLength(0);
        verifierUpstream.respond(json(200, { success: true }));
      });

      it("a proof that is no token is InvalidInput on humanProof, with the input's own errors", async () => {
        const otp = service({}, { humanVerification: verification() });
        const outcome = await otp.requestOtp(
          asked({ phone: { phone: "+91", country: "IN", deviceId: "d" } }),
          { ...from("198.51.100.22"), humanProof: "has spaces in it" },
        );
        expect(outcome).toMatchObject({ kind: "InvalidInput" });
        expect(outcome.kind === "InvalidInput" && outcome.fieldErrors.map((error) => error.field)).toEqual([
          "phone.phone",
          "humanProof",
        ]);
        expect(verifierUpstream.requests).toHaveLength(0);
      });
    });
  });
}
