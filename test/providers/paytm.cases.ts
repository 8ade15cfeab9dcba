import type { ProviderCases } from "./contract.js";

export const CLIENT_ID = "paytm-test-client";
export const CLIENT_SECRET = "paytm-test-secret:7d2e";
export const STATE_TOKEN = "65cb6680-29f6-11e4-aad2-3c970ea8b87f";

/** A `responseCode` of Paytm's Send OTP document: its reply (the document lists no HTTP status), and the answer. */
const row = (responseCode: string, message: string, expected: Record<string, unknown>) => ({
  reply: { status: 400, body: { status: "FAILURE", message, responseCode } },
  expected: { providerCode: responseCode, ...expected },
});
const authFailed = { __typename: "ProviderAuthFailed", retryable: false };
const blocked = { __typename: "AccountBlocked", retryable: false };

/** PAYTM: the Send OTP document's request example and every `responseCode` of its table. */
export const cases: ProviderCases = {
  env: (baseUrl) => ({
    PAYTM_BASE_URL: baseUrl,
    PAYTM_CLIENT_ID: CLIENT_ID,
    PAYTM_CLIENT_SECRET: CLIENT_SECRET,
  }),
  input: { phone: "+91 77777-77777", deviceIdentifier: "8c4afbfab1ae0bd4" },
  everyField: {
    phone: "9988776655",
    deviceIdentifier: "device-paytm",
    autoReadHash: "hash123",
    locale: "en-IN",
  },
  request: {
    url: "/v4/signin/otp/sv1/?locale=en-IN",
    headers: {
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64")}`,
      "x-device-identifier": "8c4afbfab1ae0bd4",
    },
    json: { phone: "7777777777", scopes: ["paytm"] },
  },
  rows: {
    BE1400001: {
      reply: {
        status: 200,
        body: { status: "SUCCESS", message: "Success", responseCode: "BE1400001", state_token: STATE_TOKEN },
      },
      expected: { __typename: "OtpSent" },
      challenge: { destinationHint: "******7777", providerMessage: "Success" },
    },
    "434": row("434", "Bad request", { __typename: "InvalidInput", retryable: false, fieldErrors: [] }),
    BE1423005: row("BE1423005", "Invalid Authorization", authFailed),
    BE1423006: row("BE1423006", "Client permission not found", authFailed),
    BE1423012: row("BE1423012", "Device identifier is missing", {
      __typename: "InvalidInput",
      retryable: false,
      fieldErrors: [
        { field: "paytm.deviceIdentifier", message: "Paytm needs the identifier of this device." },
      ],
    }),
    BE1424001: row("BE1424001", "We have found suspicious activity from this number.", blocked),
    BE1425004: row("BE1425004", "Mobile number is already pending for verification.", {
      __typename: "RateLimited",
      retryable: true,
      limitedBy: "PROVIDER",
      retryAfterSeconds: 172_800,
    }),
    BE1425005: row("BE1425005", "Scope not allowed", authFailed),
    BE1425006: row("BE1425006", "Oops! You have reached an OTP limit", {
      __typename: "RateLimited",
      retryable: false,
      limitedBy: "PROVIDER",
      retryAfterSeconds: null,
    }),
    BE1426003: row("BE1426003", "There was some issue in processing this request", {
      __typename: "ProviderUnavailable",
      retryable: true,
      retryAfterSeconds: null,
    }),
    "BE14xxxxx blocked": {
      reply: {
        status: 403,
        body: {
          status: "FAILURE",
          message: "Your account has been blocked after suspicious activity.",
          responseCode: "BE1426099",
        },
      },
      expected: { __typename: "AccountBlocked", providerCode: "BE1426099", retryable: false },
    },
    BE1426011: row("BE1426011", "We have found a suspicious activity from this number.", blocked),
  },
  undocumented: [
    { status: 200, body: { status: "SUCCESS", message: "Success", responseCode: "BE1400001" } },
    {
      status: 200,
      body: { status: "FAILURE", message: "Success", responseCode: "BE1400001", state_token: "t" },
    },
    { status: 200, body: { status: "SUCCESS", message: "Invalid Authorization", responseCode: "BE1423005" } },
    { status: 400, body: { status: "FAILURE", message: "Nope", responseCode: "BE9999999" } },
    { status: 400, body: { status: "FAILURE", message: "Bad request", responseCode: 434.5 } },
    { status: 200, body: "[]" },
  ],
};
