/**
 * A fake of iServeU DMT-lite's OTP send (the DMT-lite OTP send document) with its documented behaviour only: every
 * answer is HTTP 200 with `{ status, statusCode, statusDesc, paramA, paramB, paramC }` as the document's samples, a
 * `statusCode` of "0" (sent), "-1" (requested amount empty or not digits) or "1" (failed to send). Magic inputs reach
 * the failures. The document shows no answer for bad credentials or a malformed body: the fake's are plain (401
 * `{ message }`, 400 with a `statusCode` that is not one of the document's).
 */
import type { FakeProvider, FakeResponse } from "../../sandbox/fake-server.js";
import type { ProviderBinding } from "../binding.js";
import type { ProviderSandbox } from "../descriptor.js";
import { asRecord } from "../outcomes.js";
import { DMT_PATH, type DmtSettings } from "./adapter.js";
import type { DmtOtpFields } from "./input.js";

/** The credentials the sandbox's DMT settings carry, and the fake expects. */
export const DMT_SANDBOX_CREDENTIALS = {
  clientId: "sandbox-dmt-client",
  clientSecret: "sandbox-dmt-secret",
} as const;

/** Inputs that reach each documented failure; both pass local validation. */
export const DMT_MAGIC = {
  /** A `requestedAmount` of "0" is answered with statusCode "-1". */
  rejectedAmount: "0",
  /** A mobile number ending in these digits (e.g. `9876500001`) is answered with statusCode "1". */
  failedToSend: "00001",
} as const;

const MOBILE = /^[6-9]\d{9}$/;

function answer(
  statusCode: "0" | "-1" | "1",
  statusDesc: string,
  request: Record<string, unknown>,
): FakeResponse {
  const echo = (name: string) => (typeof request[name] === "string" ? request[name] : "");
  return {
    status: 200,
    body: {
      status: statusCode === "0" ? "SUCCESS" : "FAILED",
      statusCode,
      statusDesc,
      paramA: echo("paramA"),
      paramB: echo("paramB"),
      paramC: echo("paramC"),
    },
  };
}

/** The fake: checks path, method, `client_id`/`client_secret` and the body, then answers by the magic inputs. */
const dmtFake: FakeProvider = ({ method, path, headers, body }) => {
  if (method !== "POST" || path !== DMT_PATH) return { status: 404, body: { message: "Not Found" } };
  if (
    headers.client_id !== DMT_SANDBOX_CREDENTIALS.clientId ||
    headers.client_secret !== DMT_SANDBOX_CREDENTIALS.clientSecret
  ) {
    return { status: 401, body: { message: "Unauthorized" } };
  }
  const request = asRecord(body);
  const mobile = request?.customerMobileNumber;
  const otpType = request?.otpType;
  if (
    !request ||
    !headers["content-type"]?.startsWith("application/json") ||
    typeof mobile !== "string" ||
    !MOBILE.test(mobile) ||
    (otpType !== "1" && otpType !== "2") ||
    typeof request.username !== "string" ||
    typeof request.ovdType !== "string" ||
    (otpType === "1" && typeof request.ovdData !== "string") ||
    (otpType === "2" && typeof request.externalRefNumber !== "string")
  ) {
    // The document describes no answer to a malformed request; this is not one of its statusCodes.
    return { status: 400, body: { status: "FAILED", statusCode: "400", statusDesc: "Bad Request" } };
  }
  const amount = request.requestedAmount;
  const amountRequired = otpType === "2" || amount !== undefined;
  if (
    amountRequired &&
    (typeof amount !== "string" || !/^\d+$/.test(amount) || amount === DMT_MAGIC.rejectedAmount)
  ) {
    return answer("-1", "Requested Amount Must Not be EMPTY Or Only Number Allowed", request);
  }
  if (mobile.endsWith(DMT_MAGIC.failedToSend)) return answer("1", "Failed to send OTP", request);
  return answer("0", "OTP Sent Successfully.", request);
};

/** A customer registration the sandbox sends (a valid Aadhaar number, with its check digit). */
const REGISTRATION = {
  customerMobileNumber: "9876543210",
  otpType: "CUSTOMER_REGISTRATION",
  username: "sandbox-agent",
  ovdType: "Aadhaar Card",
  ovdData: "234567890124",
} as const;
const TRANSACTION = {
  customerMobileNumber: "9876543210",
  otpType: "TRANSACTION",
  username: "sandbox-agent",
  externalRefNumber: "REF123456",
  requestedAmount: "1001",
  ovdType: "Aadhaar Card",
} as const;

/** The DMT sandbox: the fake, settings pointing at it, and an input for each documented `statusCode`. */
export const dmtSandbox = (provider: ProviderBinding): ProviderSandbox<DmtSettings, DmtOtpFields> => ({
  fake: dmtFake,
  settings: (baseUrl) => ({ baseUrl, ...DMT_SANDBOX_CREDENTIALS }),
  magic: {
    "0": {
      input: REGISTRATION,
      description: "any valid input",
      note: "CUSTOMER_REGISTRATION: expires in 10 min, resend after 30 s, 5 attempts; no `devOtp`: the documents return no OTP",
    },
    "-1": {
      input: { ...TRANSACTION, requestedAmount: DMT_MAGIC.rejectedAmount },
      description: `\`requestedAmount: "${DMT_MAGIC.rejectedAmount}"\``,
    },
    "1": {
      input: { ...TRANSACTION, customerMobileNumber: `98765${DMT_MAGIC.failedToSend}` },
      description: `a mobile ending in \`${DMT_MAGIC.failedToSend}\`, e.g. \`98765${DMT_MAGIC.failedToSend}\``,
    },
  },
  notes: [
    {
      input: "a TRANSACTION's `externalRefNumber` again, same mobile, within 10 min",
      answer: `refused locally: \`InvalidInput\` on \`${provider.field("externalRefNumber")}\`, nothing sent`,
    },
    {
      input: `the same TRANSACTION \`externalRefNumber\` again after a \`"1"\` or \`"-1"\` answer (e.g. the mobile ending in \`${DMT_MAGIC.failedToSend}\` twice)`,
      answer:
        'sent to the provider again (its answer, here `"1"` again): nothing was sent, so the reference was given back',
    },
  ],
});
