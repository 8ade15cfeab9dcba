/**
 * A fake of the phone sign-in provider (its Request OTP document) with its documented behaviour only: success with `data.otp`,
 * "Invalid phone number", and "Two many request". Magic national numbers reach the failures.
 */
import { randomInt } from "node:crypto";
import type { FakeProvider } from "../../sandbox/fake-server.js";
import type { MagicInput, ProviderSandbox } from "../descriptor.js";
import { asRecord } from "../outcomes.js";
import { PHONE_PATH, type PhoneSettings } from "./adapter.js";
import type { PhoneOtpFields } from "./input.js";

/**
 * Numbers ending in these digits reach each documented failure (e.g. `+919876500400`); `00430` the corrected
 * spelling "Too many requests" with HTTP 400 and no `Retry-After`.
 */
export const PHONE_MAGIC = {
  invalidPhone: "00400",
  tooManyRequests: "00429",
  tooManyCorrected: "00430",
} as const;

/** Seconds the fake asks a client to wait after "Two many request". */
export const PHONE_SANDBOX_RETRY_AFTER = 60;

/**
 * The document shows the failures' bodies but no HTTP status: the fake's are plain (400, 429 with `Retry-After`);
 * for a path it does not have it answers a plain 404 in the document's `{ success, message }` shape.
 */
const phoneFake: FakeProvider = ({ method, path, body }) => {
  if (method !== "POST" || path !== PHONE_PATH)
    return { status: 404, body: { success: false, message: "Not found" } };
  const request = asRecord(body) ?? {};
  const phone = typeof request.phone === "string" ? request.phone : "";
  if (!/^\+\d{8,15}$/.test(phone) || phone.endsWith(PHONE_MAGIC.invalidPhone)) {
    return { status: 400, body: { success: false, message: "Invalid phone number" } };
  }
  if (phone.endsWith(PHONE_MAGIC.tooManyRequests)) {
    return {
      status: 429,
      headers: { "retry-after": String(PHONE_SANDBOX_RETRY_AFTER) },
      body: { success: false, message: "Two many request" },
    };
  }
  if (phone.endsWith(PHONE_MAGIC.tooManyCorrected)) {
    return { status: 400, body: { success: false, message: "Too many requests" } };
  }
  return {
    status: 200,
    body: {
      success: true,
      message: "request processed successfully",
      data: { otp: randomInt(100_000, 1_000_000) },
      timestamp: new Date().toISOString(),
    },
  };
};

const phoneEndingIn = (digits: string): MagicInput<PhoneOtpFields> => ({
  input: { phone: `+9198765${digits}`, country: "IN", deviceId: "sandbox-device" },
  description: `a number ending in \`${digits}\`, e.g. \`+9198765${digits}\``,
});

/** The PHONE sandbox: the fake, settings pointing at it, and a number for each documented `message`. */
export const phoneSandbox: ProviderSandbox<PhoneSettings, PhoneOtpFields> = {
  fake: phoneFake,
  settings: (baseUrl) => ({ baseUrl }),
  magic: {
    "success: true": { ...phoneEndingIn("43210"), description: "any valid number", note: "with `devOtp`" },
    "Invalid phone number": phoneEndingIn(PHONE_MAGIC.invalidPhone),
    "Two many request": {
      ...phoneEndingIn(PHONE_MAGIC.tooManyRequests),
      note: `the fake's \`Retry-After: ${PHONE_SANDBOX_RETRY_AFTER}\``,
    },
  },
  notes: [
    {
      input: phoneEndingIn(PHONE_MAGIC.tooManyCorrected).description,
      answer: `"Too many requests" (HTTP 400, no \`Retry-After\`) → \`RateLimited\`, retry after ${PHONE_SANDBOX_RETRY_AFTER} s`,
    },
  ],
};
