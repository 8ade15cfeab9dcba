import type { DmtOtpInput } from "../__generated__/graphql.js";
import type { ProviderCases } from "./contract.js";

export const CLIENT_ID = "dmt-test-client";
export const CLIENT_SECRET = "dmt-test-secret-5f1c";

/** A customer registration as the DMT-lite OTP send document's example (with notations to normalise)… */
export const REGISTRATION = {
  customerMobileNumber: "+91 98765-43210",
  otpType: "CUSTOMER_REGISTRATION",
  username: "isutestapi1",
  ovdType: "Aadhaar Card",
  ovdData: "2345 6789 0124",
  latLong: "123.23,21.345",
  publicIp: "192.168.1.1",
  paramA: "branch-7",
} satisfies DmtOtpInput;

/** …and the body it becomes on the wire. */
export const REGISTRATION_WIRE = {
  customerMobileNumber: "9876543210",
  username: "isutestapi1",
  otpType: "1",
  latLong: "123.23,21.345",
  publicIP: "192.168.1.1",
  ovdType: "Aadhaar Card",
  ovdData: "234567890124",
  paramA: "branch-7",
};
/** The DMT-lite OTP send document's sample reply for a `statusCode`, with HTTP 200 as it documents. */
const seedReply = (status: string, statusCode: string, statusDesc: string) => ({
  status: 200,
  body: { status, statusCode, statusDesc, paramA: "", paramB: "", paramC: "" },
});

/** DMT: a customer registration, as the DMT-lite OTP send document's example, and its three `statusCode`s. */
export const cases: ProviderCases = {
  env: (baseUrl) => ({ DMT_BASE_URL: baseUrl, DMT_CLIENT_ID: CLIENT_ID, DMT_CLIENT_SECRET: CLIENT_SECRET }),
  input: REGISTRATION,
  everyField: {
    customerMobileNumber: "9123456780",
    otpType: "CUSTOMER_REGISTRATION",
    username: "agent-one",
    ovdType: "Aadhaar Card",
    ovdData: "234123412346",
    latLong: "19.07,72.87",
    publicIp: "203.0.113.7",
    paramA: "a",
    paramB: "b",
    paramC: "c",
  },
  request: {
    url: "/common/dmt-lite/unified/otp/send",
    headers: { client_id: CLIENT_ID, client_secret: CLIENT_SECRET },
    json: REGISTRATION_WIRE,
  },
  rows: {
    "0": {
      reply: seedReply("SUCCESS", "0", "OTP Sent Successfully."),
      expected: { __typename: "OtpSent" },
      challenge: {
        destinationHint: "******3210",
        providerMessage: "OTP Sent Successfully.",
        attemptsAllowed: 5,
      },
    },
    "-1": {
      reply: seedReply("FAILED", "-1", "Requested Amount Must Not be EMPTY Or Only Number Allowed"),
      expected: {
        __typename: "InvalidInput",
        providerCode: "-1",
        retryable: false,
        fieldErrors: [
          { field: "dmt.requestedAmount", message: "The requested amount must be given, in digits only." },
        ],
      },
    },
    "1": {
      reply: seedReply("FAILED", "1", "Failed to send OTP"),
      expected: {
        __typename: "ProviderUnavailable",
        providerCode: "1",
        retryable: true,
        retryAfterSeconds: null,
      },
    },
  },
  undocumented: [
    { status: 200, body: { status: "FAILED", statusCode: "2", statusDesc: "Something else" } },
    { status: 200, body: { status: "SUCCESS", statusCode: "0 1", statusDesc: "OTP Sent Successfully." } },
    { status: 200, body: { status: "SUCCESS", statusCode: null, statusDesc: "OTP Sent Successfully." } },
    { status: 200, body: { status: "FAILED", statusCode: "0", statusDesc: "OTP Sent Successfully." } },
    { status: 200, body: "<html>OK</html>" },
  ],
};
