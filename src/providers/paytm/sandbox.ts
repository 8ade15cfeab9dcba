/**
 * A fake of Paytm's sign-in OTP send (Paytm's Send OTP document) with its documented behaviour only: it checks the
 * `Authorization`, `x-device-identifier`, body and scopes as Paytm would, and a mobile number ending in the last
 * five digits of a `responseCode` reaches that code.
 */
import { randomUUID } from "node:crypto";
import type { FakeProvider, FakeResponse } from "../../sandbox/fake-server.js";
import type { ProviderBinding } from "../binding.js";
import type { MagicInput, ProviderSandbox } from "../descriptor.js";
import { asRecord } from "../outcomes.js";
import { PAYTM_PATH, type PaytmSettings } from "./adapter.js";
import { PAYTM_LOCALE, type PaytmOtpFields } from "./input.js";

/** The credentials and scopes the sandbox's PAYTM settings carry, and the fake expects. */
export const PAYTM_SANDBOX_CREDENTIALS = {
  clientId: "sandbox-paytm-client",
  clientSecret: "sandbox-paytm-secret",
  scopes: ["paytm", "wallet"],
} as const;

/** The scopes the sandbox client may ask for (the document's example); any other is "Scope not allowed". */
export const PAYTM_SANDBOX_ALLOWED_SCOPES: readonly string[] = ["paytm", "wallet"];

/**
 * Mobile numbers ending in these digits (the last five of the code, e.g. `9876523005` for BE1423005) are
 * answered with that `responseCode`; `26099` with an undocumented BE1426099 whose message says blocked.
 */
export const PAYTM_MAGIC = {
  "434": "00434",
  BE1423005: "23005",
  BE1423006: "23006",
  BE1423012: "23012",
  BE1424001: "24001",
  BE1425004: "25004",
  BE1425005: "25005",
  BE1425006: "25006",
  BE1426003: "26003",
  BE1426011: "26011",
  "BE14xxxxx blocked": "26099",
} as const;

type FailureCode = keyof typeof PAYTM_MAGIC;

/**
 * The document lists no HTTP statuses; the fake uses plausible ones, so that clients are exercised on mapping by
 * `responseCode` whatever the status.
 */
const FAILURES: Record<FailureCode, { httpStatus: number; message: string; responseCode?: string }> = {
  "434": { httpStatus: 400, message: "Bad request" },
  BE1423005: { httpStatus: 401, message: "Invalid Authorization" },
  BE1423006: { httpStatus: 403, message: "Client permission not found" },
  BE1423012: { httpStatus: 400, message: "Device identifier is missing" },
  BE1424001: {
    httpStatus: 403,
    message:
      "We have found suspicious activity from this number. Therefore, we have blocked this account. Please raise a request at paytm.com/care to unblock your account.",
  },
  BE1425004: {
    httpStatus: 429,
    message: "Mobile number is already pending for verification. Please try after 48 hours.",
  },
  BE1425005: { httpStatus: 403, message: "Scope not allowed" },
  BE1425006: {
    httpStatus: 429,
    message: "Oops! You have reached an OTP limit, please raise a query at paytm.com/care.",
  },
  BE1426003: { httpStatus: 500, message: "There was some issue in processing this request" },
  BE1426011: {
    httpStatus: 403,
    message:
      "We have found a suspicious activity from this number. Therefore, we have blocked your account. Please raise a request at paytm.com/care. The response code may change.",
  },
  "BE14xxxxx blocked": {
    httpStatus: 403,
    responseCode: "BE1426099",
    message:
      "Your account has been blocked after suspicious activity. Please raise a request at paytm.com/care.",
  },
};

function failure(code: FailureCode): FakeResponse {
  const { httpStatus, message, responseCode = code } = FAILURES[code];
  return { status: httpStatus, body: { status: "FAILURE", message, responseCode } };
}

const EXPECTED_AUTHORIZATION = `Basic ${Buffer.from(
  `${PAYTM_SANDBOX_CREDENTIALS.clientId}:${PAYTM_SANDBOX_CREDENTIALS.clientSecret}`,
).toString("base64")}`;

/**
 * The fake: checks path, method, `Authorization`, device, locale, body and scopes, then the magic numbers. The
 * document shows no answer for a path it does not have: the fake's is a plain 404 `{ message }`.
 */
const paytmFake: FakeProvider = ({ method, path, query, headers, body }) => {
  if (method !== "POST" || path !== PAYTM_PATH) return { status: 404, body: { message: "Not Found" } };
  if (headers.authorization !== EXPECTED_AUTHORIZATION) return failure("BE1423005");
  const device = headers["x-device-identifier"];
  if (typeof device !== "string" || device.trim() === "") return failure("BE1423012");

  const request = asRecord(body);
  const phone = request?.phone;
  const scopes = request?.scopes;
  if (
    query.get("locale") !== PAYTM_LOCALE ||
    !headers["content-type"]?.startsWith("application/json") ||
    typeof phone !== "string" ||
    !/^\d{10}$/.test(phone) ||
    !Array.isArray(scopes) ||
    scopes.length === 0 ||
    !scopes.every((scope) => typeof scope === "string")
  ) {
    return failure("434");
  }
  if (!scopes.every((scope: string) => PAYTM_SANDBOX_ALLOWED_SCOPES.includes(scope)))
    return failure("BE1425005");

  const magic = (Object.keys(PAYTM_MAGIC) as FailureCode[]).find((code) => phone.endsWith(PAYTM_MAGIC[code]));
  if (magic) return failure(magic);
  return {
    status: 200,
    body: { status: "SUCCESS", message: "Success", responseCode: "BE1400001", state_token: randomUUID() },
  };
};

const phoneEndingIn = (digits: string): MagicInput<PaytmOtpFields> => ({
  input: { phone: `98765${digits}`, deviceIdentifier: "sandbox-device" },
  description: `a number ending in \`${digits}\`, e.g. \`98765${digits}\``,
});

const SCOPES = PAYTM_SANDBOX_ALLOWED_SCOPES.map((scope) => `\`${scope}\``).join(", ");

/** The PAYTM sandbox: the fake, settings pointing at it, and a mobile number for each documented `responseCode`. */
export const paytmSandbox = (provider: ProviderBinding): ProviderSandbox<PaytmSettings, PaytmOtpFields> => ({
  fake: paytmFake,
  settings: (baseUrl) => ({
    baseUrl,
    ...PAYTM_SANDBOX_CREDENTIALS,
    scopes: [...PAYTM_SANDBOX_CREDENTIALS.scopes],
  }),
  magic: {
    BE1400001: {
      ...phoneEndingIn("43210"),
      description: `any valid number, scopes ${SCOPES} or none (both)`,
      note: "state_token as providerReference",
    },
    ...Object.fromEntries(Object.entries(PAYTM_MAGIC).map(([code, digits]) => [code, phoneEndingIn(digits)])),
  },
  notes: [
    {
      input: `a scope other than ${SCOPES}`,
      answer: `refused locally: \`InvalidInput\` on \`${provider.field("scopes")}\`, nothing sent`,
    },
  ],
});
