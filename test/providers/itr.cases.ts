import type { ProviderCases } from "./contract.js";

const TOKEN = "itr-api-token-under-test";
const PASSWORD = "S3cret pass#word";

/** ITR: the KwikID ITR get_otp document's request example and its four responses. */
export const cases: ProviderCases = {
  env: (baseUrl) => ({ ITR_BASE_URL: baseUrl, ITR_API_TOKEN: TOKEN }),
  input: { pan: " abcpe1234f", password: PASSWORD },
  everyField: { pan: "ABCPE1234F", password: "Portal-Passw0rd" },
  request: {
    url: "/verification/v2/itr/get_otp",
    headers: { authorization: `Bearer ${TOKEN}` },
    json: { pan: "ABCPE1234F", password: PASSWORD },
  },
  rows: {
    "200": {
      reply: { status: 200, body: { otp_status: "OTP sent to registered mobile" } },
      expected: { __typename: "OtpSent" },
      challenge: {
        destinationHint: "AB******4F",
        providerMessage: "OTP sent to registered mobile",
        devOtp: null,
      },
    },
    "200 not triggered": {
      reply: { status: 200, body: { otp_status: "OTP not sent" } },
      expected: { __typename: "ProviderUnavailable", providerCode: "200", retryable: true },
    },
    "200 invalid": {
      reply: { status: 200, body: { otp_status: "Invalid credentials" } },
      expected: {
        __typename: "InvalidInput",
        providerCode: "200",
        retryable: false,
        fieldErrors: [
          { field: "itr.password", message: "The income-tax portal did not accept this password." },
        ],
      },
    },
    "200 locked": {
      reply: { status: 200, body: { otp_status: "Locked" } },
      expected: { __typename: "AccountBlocked", providerCode: "200", retryable: false },
    },
    "200 unrecognised": {
      reply: { status: 200, body: { otp_status: "NO_OTP" } },
      expected: {
        __typename: "UnexpectedProviderResponse",
        providerCode: "200",
        retryable: false,
        providerMessage: "NO_OTP",
      },
    },
    "400": {
      reply: {
        status: 400,
        body: { detail: { pan: "PAN ABCPE1234F is invalid" }, message: "Validation error" },
      },
      expected: {
        __typename: "InvalidInput",
        providerCode: "400",
        retryable: false,
        fieldErrors: [{ field: "itr.pan", message: "The income-tax portal did not accept this PAN." }],
      },
    },
    "401": {
      reply: { status: 401, body: { detail: {}, message: "Invalid Bearer token" } },
      expected: { __typename: "ProviderAuthFailed", providerCode: "401", retryable: false },
    },
    "500": {
      reply: { status: 500, body: { error: "psycopg2.OperationalError: connection to db-7 failed" } },
      expected: {
        __typename: "ProviderUnavailable",
        providerCode: "500",
        retryable: true,
        retryAfterSeconds: null,
      },
    },
  },
  undocumented: [
    { status: 200, body: {} },
    { status: 200, body: { otp_status: 1 } },
    { status: 200, body: { otp_status: null } },
    { status: 200, body: "OTP sent" },
    { status: 400, body: "<html>Bad Request</html>" },
    { status: 400, body: ["detail"] },
    { status: 422, body: { detail: [{ loc: ["body", "pan"], msg: "x" }] } },
  ],
};
