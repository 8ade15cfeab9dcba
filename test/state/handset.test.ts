/**
 * One handset, one cap: a phone number's cooldown, destination cap and number range count across every provider that
 * sends to it (PHONE, PAYTM, DMT), keyed by its E.164 form; a GSTIN or a PAN stays its provider's own destination.
 * Against real loopback upstreams, in memory and in Redis.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import type { OtpOutcome } from "../../src/otp/model.js";
import { OtpService } from "../../src/otp/otp-service.js";
import { StateKeys } from "../../src/otp/store/state-keys.js";
import type { OtpStore } from "../../src/otp/store/store.js";
import { DMT_PATH } from "../../src/providers/dmt/adapter.js";
import { dmt } from "../../src/providers/dmt/index.js";
import { UpstreamClient } from "../../src/providers/http-client.js";
import { PAYTM_PATH } from "../../src/providers/paytm/adapter.js";
import { paytm } from "../../src/providers/paytm/index.js";
import { phone } from "../../src/providers/phone/index.js";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { startTestApp } from "../helpers/app.js";
import { execute } from "../helpers/client.js";
import { DEFAULT_LIMITS } from "../helpers/limits.js";
import { uniquePrefix } from "../helpers/redis.js";
import { json, startUpstream, type Upstream, type UpstreamHandler } from "../helpers/upstream.js";
import { adaptersOf, asked, backends, manualClock, STATE_SECRET, type ManualClock } from "./fixtures.js";

const redisUrl = inject("redisUrl");

/** Each provider's documented success, chosen by the path it posts to. */
const SENT: UpstreamHandler = (request, res, req) => {
  if (request.url.startsWith(PAYTM_PATH)) {
    return json(200, {
      status: "SUCCESS",
      message: "Success",
      responseCode: "BE1400001",
      state_token: "state-token-1",
    })(request, res, req);
  }
  if (request.url.startsWith(DMT_PATH)) {
    return json(200, { status: "SUCCESS", statusCode: "0", statusDesc: "OTP Sent Successfully." })(
      request,
      res,
      req,
    );
  }
  return json(200, { success: true, message: "request processed successfully", data: { otp: 123456 } })(
    request,
    res,
    req,
  );
};

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream(SENT);
});
afterAll(() => upstream.close());

/** The one handset +91 98765 4xxxx, as each provider's input writes it. */
const inputs = (suffix: string) => ({
  phone: { phone: { phone: `+9198765${suffix}`, country: "IN", deviceId: "device-phone" } },
  paytm: { paytm: { phone: `98765${suffix}`, deviceIdentifier: "device-paytm" } },
  dmt: {
    dmt: {
      customerMobileNumber: `0 98765-${suffix}`,
      otpType: "CUSTOMER_REGISTRATION" as const,
      username: "agent",
      ovdType: "Aadhaar Card",
      ovdData: "234567890124",
    },
  },
});

const kinds = (outcomes: OtpOutcome[]) => outcomes.map((outcome) => outcome.kind);

for (const backend of backends(redisUrl)) {
  describe.skipIf(backend.skip)(`one handset, one cap (${backend.name} store)`, () => {
    let clock: ManualClock;
    let store: OtpStore;
    beforeEach(() => {
      clock = manualClock();
      store = backend.make(clock.now);
      upstream.requests.length = 0;
    });
    afterEach(() => store.close());

    const service = (limits: Partial<typeof DEFAULT_LIMITS>) => {
      const http = () => new UpstreamClient({ timeoutMs: 2000, maxBodyBytes: 64 * 1024 });
      const credentials = { baseUrl: upstream.url, clientId: "id", clientSecret: "secret" };
      return new OtpService({
        adapters: adaptersOf(
          [phone, phone.createAdapter({ baseUrl: upstream.url }, http())],
          [paytm, paytm.createAdapter({ ...credentials, scopes: ["paytm"] }, http())],
          [dmt, dmt.createAdapter(credentials, http())],
        ),
        store,
        sandbox: false,
        limits: { ...DEFAULT_LIMITS, ...limits },
        stateKeys: new StateKeys(STATE_SECRET),
        now: () => new Date(clock.now()),
      });
    };
    /** Each send from its own IP, so only the destination's limits can refuse. */
    const sendAll = async (otp: OtpService, suffix: string) => {
      const outcomes: OtpOutcome[] = [];
      for (const [index, input] of Object.values(inputs(suffix)).entries()) {
        outcomes.push(
          await otp.requestOtp(asked(input), { clientIp: `203.0.113.${index}`, idempotencyKey: null }),
        );
      }
      return outcomes;
    };

    it("a cap of 1 per destination: the same mobile through phone, paytm and dmt gets one send", async () => {
      const otp = service({ cooldownSeconds: 0, maxPerDestinationPerHour: 1 });
      const outcomes = await sendAll(otp, "43210");
      expect(kinds(outcomes)).toEqual(["OtpSent", "RateLimited", "RateLimited"]);
      expect(outcomes[1]).toMatchObject({
        provider: "PAYTM",
        limitedBy: "LOCAL_POLICY",
        message: "Too many OTPs were requested for this destination. Please try again later.",
      });
      expect(upstream.requests).toHaveLength(1);
      // Another handset is not held back by this one.
      expect(kinds(await sendAll(otp, "43211"))).toEqual(["OtpSent", "RateLimited", "RateLimited"]);
    });

    it("the cooldown is the handset's: paytm right after phone waits for it", async () => {
      const otp = service({ cooldownSeconds: 30 });
      const outcomes = await sendAll(otp, "43220");
      expect(kinds(outcomes)).toEqual(["OtpSent", "RateLimited", "RateLimited"]);
      expect(outcomes[2]).toMatchObject({ provider: "DMT", retryAfterSeconds: 30 });
      clock.advance(30_000);
      expect(kinds(await sendAll(otp, "43220"))).toEqual(["OtpSent", "RateLimited", "RateLimited"]);
      expect(upstream.requests).toHaveLength(2);
    });

    it("a number range counts all providers together", async () => {
      const otp = service({ cooldownSeconds: 0, maxPerRangePerHour: 2 });
      // +91 98765 432xx: three handsets of one range, one through each provider, then a fourth.
      const { phone } = inputs("43230");
      const { paytm } = inputs("43231");
      const { dmt } = inputs("43232");
      const outcomes: OtpOutcome[] = [];
      for (const [index, input] of [phone, paytm, dmt].entries()) {
        outcomes.push(
          await otp.requestOtp(asked(input), { clientIp: `203.0.113.${index}`, idempotencyKey: null }),
        );
      }
      expect(kinds(outcomes)).toEqual(["OtpSent", "OtpSent", "RateLimited"]);
      expect(outcomes[2]).toMatchObject({
        message: expect.stringMatching(/numbers like this one/) as unknown,
      });
    });
  });
}

describe("one handset, one cap over HTTP (sandbox providers)", () => {
  const stores: { name: string; skip: boolean; env: Record<string, string> }[] = [
    { name: "memory", skip: false, env: {} },
    {
      name: "redis",
      skip: redisUrl === null,
      env: {
        OTP_STORE: "redis",
        REDIS_URL: redisUrl ?? "",
        REDIS_KEY_PREFIX: uniquePrefix("handset-http"),
        OTP_STATE_SECRET: STATE_SECRET,
      },
    },
  ];
  for (const backend of stores) {
    it.skipIf(backend.skip)(
      `${backend.name}: phone, paytm and dmt to one mobile with a cap of 1 send once`,
      async () => {
        const subgraph = await startTestApp({
          ...backend.env,
          OTP_COOLDOWN_SECONDS: "0",
          OTP_MAX_PER_DESTINATION_PER_HOUR: "1",
        });
        try {
          const answers: (string | undefined)[] = [];
          for (const input of Object.values(inputs("43210"))) {
            const { body } = await execute(subgraph.url, RequestOtpDocument, { input });
            answers.push(body.data?.requestOtp.__typename);
          }
          expect(answers).toEqual(["OtpSent", "RateLimited", "RateLimited"]);
        } finally {
          await subgraph.close();
        }
      },
    );
  }
});
