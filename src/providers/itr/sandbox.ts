/**
 * A fake of KwikID's ITR get_otp (the KwikID ITR get_otp document) with its documented behaviour only: 200
 * `{ otp_status }`, 400 `{ detail, message }` with `detail` an object as the document shows it (keyed by the field
 * it names), 401 for a bad bearer token (the document shows no body for it: `{ detail, message }` like the 400),
 * 500 `{ error }`. Like the real one it checks the method, the path, the bearer token and the body's shape (a
 * missing field is a 400 naming it); magic PANs and a magic password reach each documented answer. The document
 * gives no `otp_status` values; the fake's are plain words. It never echoes the password.
 */
import { isValidPan } from "../../otp/validators/pan.js";
import type { FakeProvider, FakeResponse } from "../../sandbox/fake-server.js";
import type { ProviderBinding } from "../binding.js";
import type { MagicInput, ProviderSandbox } from "../descriptor.js";
import { asRecord } from "../outcomes.js";
import { ITR_PATH, type ItrSettings } from "./adapter.js";
import type { ItrOtpFields } from "./input.js";

/** The API token the sandbox's ITR settings carry, and the fake expects as `Bearer <token>`. */
export const ITR_SANDBOX_API_TOKEN = "sandbox-itr-api-token";

/**
 * Inputs that reach each documented answer: a PAN whose digits are `0400` (e.g. `ABCPE0400F`) is a 400 naming
 * the PAN, `0401` a 401, `0500` a 500; `0200` a 200 whose `otp_status` says no OTP was triggered, `0201` one that
 * says the credentials are invalid, `0202` one that says the account is locked, `0203` one that says neither
 * (`NO_OTP`); the password `wrong-password` is a 400 naming the password.
 */
export const ITR_MAGIC = {
  invalidPanDigits: "0400",
  unauthorisedDigits: "0401",
  serverErrorDigits: "0500",
  notTriggeredDigits: "0200",
  invalidStatusDigits: "0201",
  lockedStatusDigits: "0202",
  unrecognisedStatusDigits: "0203",
  wrongPassword: "wrong-password",
} as const;

/** A valid PAN for examples. */
export const ITR_SANDBOX_PAN = "ABCPE1234F";

const validationError = (detail: unknown): FakeResponse => ({
  status: 400,
  body: { detail, message: "Validation error" },
});

const itrFake: FakeProvider = ({ method, path, headers, body }) => {
  if (method !== "POST" || path !== ITR_PATH) return { status: 404, body: { detail: "Not Found" } };
  if (headers.authorization !== `Bearer ${ITR_SANDBOX_API_TOKEN}`) {
    return { status: 401, body: { detail: {}, message: "Invalid Bearer token" } };
  }
  const request = asRecord(body) ?? {};
  const missing = (["pan", "password"] as const).filter(
    (field) => typeof request[field] !== "string" || request[field] === "",
  );
  if (!headers["content-type"]?.startsWith("application/json") || missing.length > 0) {
    return validationError(Object.fromEntries(missing.map((field) => [field, "Field required"])));
  }
  const pan = String(request.pan);
  if (!isValidPan(pan)) return validationError({ pan: "Invalid PAN" });
  switch (pan.slice(5, 9)) {
    case ITR_MAGIC.invalidPanDigits:
      return validationError({ pan: "PAN is not registered on the income-tax portal" });
    case ITR_MAGIC.unauthorisedDigits:
      return { status: 401, body: { detail: {}, message: "Invalid Bearer token" } };
    case ITR_MAGIC.serverErrorDigits:
      return { status: 500, body: { error: "Internal server error" } };
    case ITR_MAGIC.notTriggeredDigits:
      return { status: 200, body: { otp_status: "FAILED" } };
    case ITR_MAGIC.invalidStatusDigits:
      return { status: 200, body: { otp_status: "Invalid credentials" } };
    case ITR_MAGIC.lockedStatusDigits:
      return { status: 200, body: { otp_status: "Locked" } };
    case ITR_MAGIC.unrecognisedStatusDigits:
      return { status: 200, body: { otp_status: "NO_OTP" } };
  }
  if (request.password === ITR_MAGIC.wrongPassword) {
    return validationError({ password: "Incorrect password" });
  }
  return { status: 200, body: { otp_status: "OTP sent to the mobile number registered on the portal" } };
};

const PASSWORD = "sandbox password";

/** `ITR_SANDBOX_PAN` with its digits replaced by `digits`, as a magic input. */
function panWith(digits: string): MagicInput<ItrOtpFields> {
  const pan = `${ITR_SANDBOX_PAN.slice(0, 5)}${digits}${ITR_SANDBOX_PAN.slice(9)}`;
  return {
    input: { pan, password: PASSWORD },
    description: `a PAN with the digits \`${digits}\`, e.g. \`${pan}\``,
  };
}

/** The ITR sandbox: the fake, settings pointing at it, and a PAN for each documented status. */
export const itrSandbox = (provider: ProviderBinding): ProviderSandbox<ItrSettings, ItrOtpFields> => ({
  fake: itrFake,
  settings: (baseUrl) => ({ baseUrl, apiToken: ITR_SANDBOX_API_TOKEN }),
  magic: {
    "200": {
      input: { pan: ITR_SANDBOX_PAN, password: PASSWORD },
      description: `any valid PAN, e.g. \`${ITR_SANDBOX_PAN}\`, with any other password`,
      note: "no `devOtp`",
    },
    "200 not triggered": { ...panWith(ITR_MAGIC.notTriggeredDigits), note: "`FAILED`; retryable" },
    "200 invalid": {
      ...panWith(ITR_MAGIC.invalidStatusDigits),
      field: provider.field("password"),
      note: "`Invalid credentials`",
    },
    "200 locked": { ...panWith(ITR_MAGIC.lockedStatusDigits), note: "`Locked`" },
    "200 unrecognised": {
      ...panWith(ITR_MAGIC.unrecognisedStatusDigits),
      note: "`NO_OTP`, as `providerMessage`; not retryable",
    },
    "400": { ...panWith(ITR_MAGIC.invalidPanDigits), field: provider.field("pan") },
    "401": panWith(ITR_MAGIC.unauthorisedDigits),
    "500": panWith(ITR_MAGIC.serverErrorDigits),
  },
  notes: [
    {
      input: `the password \`${ITR_MAGIC.wrongPassword}\``,
      answer: `HTTP 400, \`detail\` naming \`password\` → \`InvalidInput\` on \`${provider.field("password")}\``,
    },
  ],
});
