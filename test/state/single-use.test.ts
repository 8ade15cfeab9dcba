/**
 * DMT's "to regenerate the OTP, the client Reference ID must be changed": a TRANSACTION's externalRefNumber is
 * taken once per customer for 10 minutes, recorded with the local limits (under an HMAC) on both stores.
 */
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { OtpService } from "../../src/otp/otp-service.js";
import { StateKeys } from "../../src/otp/store/state-keys.js";
import type { OtpStore } from "../../src/otp/store/store.js";
import { dmt } from "../../src/providers/dmt/index.js";
import type { DmtOtpFields } from "../../src/providers/dmt/input.js";
import { UpstreamClient } from "../../src/providers/http-client.js";
import { uniquePrefix } from "../helpers/redis.js";
import { json, startUpstream, type Upstream } from "../helpers/upstream.js";
import { adaptersOf, asked, backends, manualClock, STATE_SECRET, type ManualClock } from "./fixtures.js";
import { NO_LIMITS } from "../helpers/limits.js";

const redisUrl = inject("redisUrl");
const SENT = json(200, { status: "SUCCESS", statusCode: "0", statusDesc: "OTP Sent Successfully." });
const MOBILE = "8144094480";
const REFERENCE = "REF1432452";

const transaction = (externalRefNumber: string, customerMobileNumber = MOBILE): DmtOtpFields => ({
  customerMobileNumber,
  otpType: "TRANSACTION",
  username: "isutestapi1",
  externalRefNumber,
  requestedAmount: "1001",
  ovdType: "Aadhaar Card",
});

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream(SENT);
});
afterAll(() => upstream.close());

for (const backend of backends(redisUrl)) {
  describe.skipIf(backend.skip)(`a DMT reference number used again (${backend.name} store)`, () => {
    let clock: ManualClock;
    let store: OtpStore;
    let otp: OtpService;
    let keyPrefix: string;
    const context = { clientIp: "198.51.100.7", idempotencyKey: null };
    beforeEach(() => {
      clock = manualClock();
      keyPrefix = uniquePrefix("single-use");
      store = backend.make(clock.now, keyPrefix);
      upstream.requests.length = 0;
      otp = new OtpService({
        adapters: adaptersOf([
          dmt,
          dmt.createAdapter(
            { baseUrl: upstream.url, clientId: "id", clientSecret: "secret" },
            new UpstreamClient({ timeoutMs: 2000, maxBodyBytes: 64 * 1024 }),
          ),
        ]),
        store,
        sandbox: false,
        limits: NO_LIMITS,
        stateKeys: new StateKeys(STATE_SECRET),
        now: () => new Date(clock.now()),
      });
    });
    afterEach(() => store.close());
    const send = (input: DmtOtpFields) => otp.requestOtp(asked({ dmt: input }), context);

    it.each([
      ["the same reference, same customer, 9 min 59 s later", REFERENCE, MOBILE, 599_000, "InvalidInput"],
      ["the same reference, same customer, 10 min later", REFERENCE, MOBILE, 600_000, "OtpSent"],
      ["a new reference, same customer", "REF1432453", MOBILE, 0, "OtpSent"],
      ["the same reference, another customer", REFERENCE, "9876543210", 0, "OtpSent"],
    ])("%s: %s", async (_case, reference, mobile, laterMs, expected) => {
      expect((await send(transaction(REFERENCE))).kind).toBe("OtpSent");
      clock.advance(laterMs);
      const again = await send(transaction(reference, mobile));
      expect(again.kind).toBe(expected);
      expect(upstream.requests).toHaveLength(expected === "OtpSent" ? 2 : 1);
      if (again.kind === "InvalidInput") {
        expect(again).toMatchObject({
          provider: "DMT",
          providerCode: null,
          retryable: false,
          fieldErrors: [
            {
              field: "dmt.externalRefNumber",
              message:
                "This reference number was already used for an OTP to this customer. Use a new reference number to get a new OTP.",
            },
          ],
        });
      }
    });

    it("leaves customer registrations alone (their document says nothing of a reference)", async () => {
      const registration: DmtOtpFields = {
        customerMobileNumber: MOBILE,
        otpType: "CUSTOMER_REGISTRATION",
        username: "isutestapi1",
        ovdType: "Aadhaar Card",
        ovdData: "234567890124",
      };
      expect((await send(registration)).kind).toBe("OtpSent");
      expect((await send(registration)).kind).toBe("OtpSent");
    });

    // The challenge keeps the reference as its providerReference (the contract's); the limits keep HMACs only.
    it.skipIf(!backend.shared)(
      "records neither the reference nor the mobile number, only HMACs",
      async () => {
        await send(transaction(REFERENCE));
        const redis = new Redis(redisUrl ?? "");
        try {
          const keys = await redis.keys(`${keyPrefix}limit:*`);
          expect(keys.length).toBeGreaterThan(0);
          const values = await Promise.all(keys.map(async (key) => JSON.stringify(await redis.dump(key))));
          for (const text of [...keys, ...values]) {
            expect(text).not.toContain(REFERENCE);
            expect(text).not.toContain(MOBILE);
          }
        } finally {
          redis.disconnect();
        }
      },
    );
  });
}
