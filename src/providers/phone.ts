/**
 * PHONE: a generic phone sign-in OTP, `POST /auth/otp/request` (seed 004_a92aefa6b35de21b.txt).
 *
 * Request `{ phone, country, deviceId }` with the phone in international format. Answers
 * `{ success: true, message, data: { otp }, timestamp }` (the OTP only in development), or
 * `{ success: false, message: "Invalid phone number" | "Two many request" }`; the document gives no HTTP
 * statuses for the failures, so the status is reported as `providerCode` and a 429 counts as "too many".
 */
import { isSupportedCountry, parsePhoneNumberFromString } from "libphonenumber-js/max";
import type { PhoneOtpInput } from "../otp/inputs.js";
import { maskPhone } from "../otp/mask.js";
import { FieldErrors } from "../otp/validate.js";
import {
  asRecord,
  retryAfterSeconds,
  undocumentedReply,
  faultOutcome,
  providerText,
  type UpstreamClient,
  type UpstreamReply,
} from "./http.js";
import {
  failureFromRow,
  type DocumentedResponse,
  type Parsed,
  type ProviderAdapter,
  type SendResult,
} from "./provider.js";

export const PHONE_PATH = "/auth/otp/request";

/** The wire request, as the document's example. */
export interface PhoneWireRequest {
  phone: string;
  country: string;
  deviceId: string;
}

/** The wire response, success or failure. */
export interface PhoneWireResponse {
  success: boolean;
  message: string;
  data?: { otp?: number | string };
  timestamp?: string;
}

/** Every response seed 004 documents. `code` is the `message` the provider answers with. */
export const PHONE_RESPONSES = [
  {
    code: "success: true",
    documented: "`success: true`",
    outcome: "OtpSent",
    notes: "devOtp = data.otp in sandbox only",
  },
  {
    code: "Invalid phone number",
    documented: '"Invalid phone number"',
    outcome: "InvalidInput",
    field: "phone.phone",
    message: "The provider did not accept this phone number.",
  },
  {
    code: "Two many request",
    documented: '"Two many request" (sic) / HTTP 429',
    outcome: "RateLimited",
    limitedBy: "PROVIDER",
    retryable: true,
    message: "Too many OTP requests for this phone or device. Please wait before trying again.",
    notes: "Retry-After header → retryAfterSeconds",
  },
] as const satisfies readonly DocumentedResponse[];

const [, INVALID_PHONE, TOO_MANY] = PHONE_RESPONSES;

const LIMITS = { phone: 32, country: 2, deviceId: 128 };

export interface PhoneSettings {
  baseUrl: string;
}

export function createPhoneAdapter(
  settings: PhoneSettings,
  http: UpstreamClient,
): ProviderAdapter<PhoneOtpInput, PhoneWireRequest> {
  const url = `${settings.baseUrl.replace(/\/+$/, "")}${PHONE_PATH}`;
  return {
    id: "PHONE",
    parse: parsePhoneInput,
    destination: (request) => ({ key: request.phone, hint: maskPhone(request.phone) }),
    device: (request) => request.deviceId,
    async send(request) {
      const reply = await http.post({ url, headers: { "content-type": "application/json" }, json: request });
      return reply.ok ? mapPhoneResponse(reply) : faultOutcome("PHONE", reply);
    },
  };
}

/** E.164 that parses as a valid number of `country` (ISO 3166-1 alpha-2). */
export function parsePhoneInput(input: PhoneOtpInput): Parsed<PhoneWireRequest> {
  const errors = new FieldErrors("phone");
  const phone = errors.text("phone", input.phone, { max: LIMITS.phone, required: true });
  const rawCountry = errors.text("country", input.country, { max: LIMITS.country, required: true });
  const deviceId = errors.text("deviceId", input.deviceId, { max: LIMITS.deviceId, required: true });

  const country = rawCountry?.toUpperCase();
  const knownCountry = country && isSupportedCountry(country) ? country : undefined;
  if (country && !knownCountry) errors.add("country", "Not an ISO 3166-1 alpha-2 country code.");

  let e164: string | undefined;
  if (phone) {
    const parsed = /^\+[\d\s().-]+$/.test(phone) ? parsePhoneNumberFromString(phone) : undefined;
    if (!parsed?.isValid()) {
      errors.add("phone", "Not a valid phone number in international format (E.164, e.g. +919876543210).");
    } else if (
      knownCountry &&
      parsed.country !== knownCountry &&
      !parsed.getPossibleCountries().includes(knownCountry)
    ) {
      errors.add("phone", `Not a phone number of ${knownCountry}.`);
    } else {
      e164 = parsed.number;
    }
  }
  return errors.result(() => ({ phone: e164 ?? "", country: knownCountry ?? "", deviceId: deviceId ?? "" }));
}

/** Map one reply of the PHONE provider to an outcome, by its documented `success` and `message`. */
export function mapPhoneResponse(reply: UpstreamReply): SendResult {
  const body = asRecord(reply.body);
  const status = String(reply.status);
  if (reply.status === 429 || body?.message === TOO_MANY.code) {
    return failureFromRow("PHONE", TOO_MANY, {
      providerCode: status,
      retryAfterSeconds: retryAfterSeconds(reply.headers),
    });
  }
  if (body?.success === true && reply.status >= 200 && reply.status < 300) {
    const otp = asRecord(body.data)?.otp;
    return {
      kind: "sent",
      providerMessage: providerText(reply, body.message),
      providerReference: null,
      devOtp: typeof otp === "number" || typeof otp === "string" ? String(otp) : null,
      validForSeconds: null,
      resendGapSeconds: null,
      attemptsAllowed: null,
    };
  }
  if (body?.success === false && body.message === INVALID_PHONE.code) {
    return failureFromRow("PHONE", INVALID_PHONE, { providerCode: status });
  }
  return undocumentedReply("PHONE", reply);
}
