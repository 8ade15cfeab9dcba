import type { ProviderCases } from "./contract.js";

const INVALID = "The provider did not accept this phone number.";

/**
 * PHONE: the Request OTP document's example request and its three answers. It gives no HTTP status for the
 * failures: these use the sandbox's, and the status is the `providerCode`.
 */
export const cases: ProviderCases = {
  env: (baseUrl) => ({ PHONE_BASE_URL: baseUrl }),
  input: { phone: "+92 301 2345678", country: "pk", deviceId: "android.unique.device.id" },
  everyField: { phone: "+919812345670", country: "IN", deviceId: "device-phone" },
  request: {
    url: "/auth/otp/request",
    headers: {},
    json: { phone: "+923012345678", country: "PK", deviceId: "android.unique.device.id" },
  },
  rows: {
    "success: true": {
      reply: {
        status: 200,
        body: {
          success: true,
          message: "request processed successfully",
          data: { otp: 912283 },
          timestamp: "2026-02-03T14:46:16.374Z",
        },
      },
      expected: { __typename: "OtpSent" },
      challenge: { destinationHint: "********5678", providerMessage: "request processed successfully" },
    },
    "Invalid phone number": {
      reply: { status: 400, body: { success: false, message: "Invalid phone number" } },
      expected: {
        __typename: "InvalidInput",
        providerCode: "400",
        retryable: false,
        fieldErrors: [{ field: "phone.phone", message: INVALID }],
      },
    },
    "Two many request": {
      reply: {
        status: 429,
        body: { success: false, message: "Two many request" },
        headers: { "retry-after": "60" },
      },
      expected: {
        __typename: "RateLimited",
        providerCode: "429",
        retryable: true,
        limitedBy: "PROVIDER",
        retryAfterSeconds: 60,
      },
    },
  },
  undocumented: [
    { status: 200, body: { ok: 1 } },
    { status: 200, body: "not json" },
    { status: 400, body: { success: false, message: "Something else" } },
    { status: 201, body: "" },
  ],
};
