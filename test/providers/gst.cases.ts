import type { ProviderCases } from "./contract.js";

const TOKEN = "gst-access-token-under-test";
const ESSENTIALS = { gstin: "27AAPFU0939F1ZV", username: "taxpayer.one" };
const failure = (code: string, typename: string) => ({
  reply: { status: Number(code), body: { message: "bad request", internal: "stack at Validator.java:42" } },
  expected: {
    __typename: typename,
    providerCode: code,
    retryable: false,
    ...(typename === "InvalidInput" && { fieldErrors: [] }),
  },
});

/** GST: the GSTR get-OTP document's sample request and response, and bare statuses for its failures. */
export const cases: ProviderCases = {
  env: (baseUrl) => ({
    GST_BASE_URL: `${baseUrl}/`,
    GST_OTP_PATH: "/aggregator/gstr/otp",
    GST_ACCESS_TOKEN: TOKEN,
  }),
  input: { gstin: " 27aapfu0939f1zv ", username: "taxpayer.one" },
  everyField: { gstin: "27AAPFU0939F1ZV", username: "gst-user" },
  request: {
    url: "/aggregator/gstr/otp",
    headers: { authorization: TOKEN },
    json: { task: "getOtp", essentials: ESSENTIALS },
  },
  rows: {
    "200": {
      reply: {
        status: 200,
        body: {
          task: "getOtp",
          essentials: ESSENTIALS,
          id: TOKEN,
          patronId: "patron-7",
          result: { message: "OTP sent to registered mobile", appKey: "app-key-3f9a" },
        },
      },
      expected: { __typename: "OtpSent" },
      challenge: {
        destinationHint: "27*********F1ZV",
        providerMessage: "OTP sent to registered mobile",
        devOtp: null,
        expiresAt: null,
        attemptsAllowed: null,
      },
    },
    "400": failure("400", "InvalidInput"),
    "401": failure("401", "ProviderAuthFailed"),
    "404": failure("404", "AccountNotFound"),
    "404 other": {
      reply: {
        status: 404,
        body: "<html><body>Cannot POST /aggregator/gstr/otp</body></html>",
        headers: { "content-type": "text/html" },
      },
      expected: { __typename: "ProviderUnavailable", providerCode: "404", retryable: true },
    },
    "422": failure("422", "InvalidInput"),
  },
  elsewhere: { "login 401": "test/providers/gst-login.test.ts" },
  undocumented: [
    { status: 200, body: { task: "getOtp", essentials: ESSENTIALS, id: TOKEN } },
    { status: 200, body: { result: { message: "OTP sent", appKey: 42 } } },
    { status: 200, body: { result: { message: "OTP sent", appKey: "  " } } },
    { status: 200, body: "not json" },
    { status: 201, body: { result: { message: "OTP sent", appKey: "k" } } },
    { status: 404, body: { status: 404 } },
    { status: 429, body: { message: "slow down" } },
  ],
};
