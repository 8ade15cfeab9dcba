/**
 * PHONE: a generic phone sign-in OTP, `POST /auth/otp/request` (the phone sign-in "Request OTP" document).
 *
 * Request `{ phone, country, deviceId }` with the phone in international format. Answers
 * `{ success: true, message, data: { otp }, timestamp }` (the OTP only in development), or
 * `{ success: false, message: "Invalid phone number" | "Two many request" }`; the document gives no HTTP
 * statuses for the failures, so the status is reported as `providerCode` and a 429 counts as "too many".
 */
import { maskPhone } from "../../otp/mask.js";
import type { ProviderBinding } from "../binding.js";
import type { ProviderAdapter } from "../../otp/ports.js";
import { exchange, joinUrl, UNDOCUMENTED, type Mapped } from "../exchange.js";
import type { UpstreamClient, UpstreamReply } from "../http-client.js";
import {
  asRecord,
  documentedRow,
  looseText,
  providerText,
  retryAfterSeconds,
  saysDocumented,
  sent,
} from "../outcomes.js";
import type { DocumentedResponse } from "../outcomes.js";
import { parsePhoneInput, type PhoneOtpFields } from "./input.js";

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

/** Every response the Request OTP document describes. `code` is the `message` the provider answers with. */
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
    field: "phone",
    message: "The provider did not accept this phone number.",
    notes: 'in any case, with surrounding space or trailing punctuation ("invalid phone number.")',
  },
  {
    code: "Two many request",
    documented: '"Two many request" (sic) / HTTP 429',
    outcome: "RateLimited",
    limitedBy: "PROVIDER",
    retryable: true,
    retryAfterSeconds: 60,
    message: "Too many OTP requests for this phone or device. Please wait before trying again.",
    notes:
      'the message in any case and with its likely corrections ("Too many requests", "too many request."), on any ' +
      'HTTP status; Retry-After header → retryAfterSeconds, else 60 (the document\'s "wait a bit")',
  },
] as const satisfies readonly DocumentedResponse[];

const INVALID_PHONE = documentedRow(PHONE_RESPONSES, "Invalid phone number");
const TOO_MANY = documentedRow(PHONE_RESPONSES, "Two many request");

export interface PhoneSettings {
  baseUrl: string;
}

export function createPhoneAdapter(
  provider: ProviderBinding,
  settings: PhoneSettings,
  http: UpstreamClient,
): ProviderAdapter<PhoneOtpFields, PhoneWireRequest> {
  const url = joinUrl(settings.baseUrl, PHONE_PATH);
  const phoneField = provider.field("phone");
  const map = (reply: UpstreamReply) => mapPhoneResponse(provider, reply);
  return {
    parse: (input) => parsePhoneInput(provider, input),
    destination: (request) => ({
      key: request.phone,
      hint: maskPhone(request.phone),
      phone: { e164: request.phone, field: phoneField },
    }),
    device: (request) => request.deviceId,
    send: (request) => exchange(http, provider.id, { url, json: request }, map),
  };
}

/** "Two many request" as documented and as people write it ({@link looseText}), and its likely corrections: "Too many requests". */
function saysTooMany(message: unknown): boolean {
  return typeof message === "string" && /^t(?:wo|oo) many requests?$/.test(looseText(message));
}

/**
 * Map one reply of the PHONE provider to an outcome, by its documented `success` (`true` or `"true"`) and
 * `message` (as people write it: any case, surrounding space, trailing punctuation).
 */
export function mapPhoneResponse(provider: ProviderBinding, reply: UpstreamReply): Mapped {
  const body = asRecord(reply.body);
  const status = String(reply.status);
  if (reply.status === 429 || saysTooMany(body?.message)) {
    return provider.failure(TOO_MANY, {
      providerCode: status,
      retryAfterSeconds: retryAfterSeconds(reply.headers) ?? TOO_MANY.retryAfterSeconds,
    });
  }
  if (!body) return UNDOCUMENTED;
  const success = body.success === true || saysDocumented(body.success, "true");
  const failure = body.success === false || saysDocumented(body.success, "false");
  if (success && reply.status >= 200 && reply.status < 300) {
    const otp = asRecord(body.data)?.otp;
    return sent({
      providerMessage: providerText(reply, body.message),
      devOtp: typeof otp === "number" || typeof otp === "string" ? String(otp) : null,
    });
  }
  if (failure && saysDocumented(body.message, INVALID_PHONE.code)) {
    return provider.failure(INVALID_PHONE, { providerCode: status });
  }
  return UNDOCUMENTED;
}
