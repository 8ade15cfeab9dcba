/**
 * PAYTM: Paytm sign-in OTP, `POST /v4/signin/otp/sv1/?locale=en-IN` (Paytm's "Send OTP API" document).
 *
 * `Authorization: Basic base64(clientId:clientSecret)`, `x-device-identifier`, optionally `autoReadHash`; body
 * `{ phone, scopes }`. Answers `{ status, message, responseCode, state_token }`; the document gives no HTTP
 * statuses, so a reply is mapped by `responseCode` whatever its status.
 */
import { maskPhone } from "../../otp/mask.js";
import type { ProviderAdapter } from "../../otp/ports.js";
import { exchange, joinUrl, noted, UNDOCUMENTED, type Mapped } from "../exchange.js";
import type { ProviderBinding } from "../binding.js";
import type { UpstreamClient, UpstreamReply } from "../http-client.js";
import { asRecord, codeOf, documentedRow, providerText, rowFor, saysDocumented, sent } from "../outcomes.js";
import type { DocumentedResponse } from "../outcomes.js";
import { PAYTM_LOCALE, parsePaytmInput, type PaytmOtpFields } from "./input.js";

/** The documented endpoint, appended to the configured base URL; `?locale=` follows. */
export const PAYTM_PATH = "/v4/signin/otp/sv1/";

/** The wire body, as the document's example: `{"phone": "7777777777", "scopes": ["paytm"]}`. */
export interface PaytmWireBody {
  phone: string;
  scopes: string[];
}

/** Everything one send needs: the body, the headers that carry the device, and the query. */
export interface PaytmRequest {
  body: PaytmWireBody;
  deviceIdentifier: string;
  autoReadHash: string | null;
  locale: typeof PAYTM_LOCALE;
}

/** The wire response, success or failure. */
export interface PaytmWireResponse {
  status: "SUCCESS" | "FAILURE";
  message: string;
  responseCode: string;
  state_token?: string;
}

/** Every response Paytm's Send OTP document describes. `code` is the `responseCode` answered. */
export const PAYTM_RESPONSES = [
  {
    code: "BE1400001",
    documented: '`BE1400001` (SUCCESS, "Success")',
    outcome: "OtpSent",
    notes: "providerReference = state_token, providerMessage = message",
  },
  {
    code: "434",
    documented: '`434` (FAILURE, "Bad request")',
    outcome: "InvalidInput",
    message: "Paytm did not accept this request. Please check the mobile number.",
  },
  {
    code: "BE1423005",
    documented: '`BE1423005` (FAILURE, "Invalid Authorization")',
    outcome: "ProviderAuthFailed",
    message: "Paytm sign-in is not available right now. Please use another way to sign in.",
    notes: "Paytm refused our client id or secret",
  },
  {
    code: "BE1423006",
    documented: '`BE1423006` (FAILURE, "Client permission not found")',
    outcome: "ProviderAuthFailed",
    message: "Paytm sign-in is not available right now. Please use another way to sign in.",
    notes: "our client lacks the permission",
  },
  {
    code: "BE1423012",
    documented: '`BE1423012` (FAILURE, "Device identifier is missing")',
    outcome: "InvalidInput",
    field: "deviceIdentifier",
    message: "Paytm needs the identifier of this device.",
  },
  {
    code: "BE1424001",
    documented: '`BE1424001` (FAILURE, "We have found suspicious activity from this number…")',
    outcome: "AccountBlocked",
    message:
      "Paytm has blocked this account after suspicious activity. Please raise a request at paytm.com/care to unblock it.",
  },
  {
    code: "BE1425004",
    documented: '`BE1425004` (FAILURE, "Mobile number is already pending for verification…")',
    outcome: "RateLimited",
    limitedBy: "PROVIDER",
    retryable: true,
    retryAfterSeconds: 172_800,
    message:
      "This mobile number is already waiting for verification at Paytm. Please try again after 48 hours.",
    notes: "retryAfterSeconds 172800 (48 h)",
  },
  {
    code: "BE1425005",
    documented: '`BE1425005` (FAILURE, "Scope not allowed")',
    outcome: "ProviderAuthFailed",
    message: "Paytm sign-in is not available for this request. Please use another way to sign in.",
    notes: "scope not allowed for our client",
  },
  {
    code: "BE1425006",
    documented: '`BE1425006` (FAILURE, "Oops! You have reached an OTP limit…")',
    outcome: "RateLimited",
    limitedBy: "PROVIDER",
    retryable: false,
    message: "You have reached Paytm's OTP limit. Please raise a query at paytm.com/care.",
    notes: "OTP limit; user must contact Paytm",
  },
  {
    code: "BE1426003",
    documented: '`BE1426003` (FAILURE, "There was some issue in processing this request")',
    outcome: "ProviderUnavailable",
    retryable: true,
    message: "Paytm could not process this request. Please try again shortly.",
  },
  {
    code: "BE1426011",
    documented: '`BE1426011` (FAILURE, "We have found a suspicious activity from this number…")',
    outcome: "AccountBlocked",
    message:
      "Paytm has blocked this account after suspicious activity. Please raise a request at paytm.com/care.",
  },
  {
    code: "BE14xxxxx blocked",
    documented: "an undocumented `BE14xxxxx` (FAILURE) whose message says blocked",
    outcome: "AccountBlocked",
    providerCodeFrom: "the code answered",
    message:
      "Paytm has blocked this account after suspicious activity. Please raise a request at paytm.com/care.",
    notes:
      'BE1426011 "may change": any other BE14 + 5 digits whose message has the word block, blocked or blocking ' +
      "(any case); logged as undocumented. Other undocumented codes: UnexpectedProviderResponse",
  },
] as const satisfies readonly DocumentedResponse[];

const UNDOCUMENTED_BLOCK = documentedRow(PAYTM_RESPONSES, "BE14xxxxx blocked");

/** `PAYTM_BASE_URL`, `PAYTM_CLIENT_ID`, `PAYTM_CLIENT_SECRET`, `PAYTM_SCOPES`. */
export interface PaytmSettings {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Sent when the input names no scopes, and the only scopes an input may name (they are Paytm's grant to us). */
  scopes: string[];
}

/** The Paytm adapter; the client secret goes only into the `Authorization` header. */
export function createPaytmAdapter(
  provider: ProviderBinding,
  settings: PaytmSettings,
  http: UpstreamClient,
): ProviderAdapter<PaytmOtpFields, PaytmRequest> {
  const base = joinUrl(settings.baseUrl, PAYTM_PATH);
  const authorization = `Basic ${Buffer.from(`${settings.clientId}:${settings.clientSecret}`).toString("base64")}`;
  const phoneField = provider.field("phone");
  return {
    parse: (input) => parsePaytmInput(provider, input, settings.scopes),
    destination: (request) => ({
      key: request.body.phone,
      hint: maskPhone(request.body.phone),
      phone: { e164: `+91${request.body.phone}`, field: phoneField },
    }),
    device: (request) => request.deviceIdentifier,
    send: (request) =>
      exchange(
        http,
        provider.id,
        {
          url: `${base}?${new URLSearchParams({ locale: request.locale }).toString()}`,
          headers: {
            authorization,
            "x-device-identifier": request.deviceIdentifier,
            ...(request.autoReadHash !== null && { autoReadHash: request.autoReadHash }),
          },
          json: request.body,
        },
        (reply) => mapPaytmResponse(provider, reply),
      ),
  };
}

/** An undocumented `BE14xxxxx` failure whose message says the account is blocked (BE1426011 "may change"). */
function saysBlocked(code: string, body: Record<string, unknown>): boolean {
  return (
    /^BE14\d{5}$/i.test(code) &&
    !saysDocumented(body.status, "SUCCESS") &&
    typeof body.message === "string" &&
    /\bblock(ed|ing)?\b/i.test(body.message)
  );
}

/**
 * Map one reply of Paytm to an outcome, by its documented `responseCode` (a string or a number, in any case)
 * whatever the HTTP status, with a `status` that agrees with it when there is one (any case).
 */
export function mapPaytmResponse(provider: ProviderBinding, reply: UpstreamReply): Mapped {
  const body = asRecord(reply.body);
  const code = codeOf(body?.responseCode);
  const row = code === undefined ? undefined : rowFor(PAYTM_RESPONSES, code.toUpperCase());
  const expected = row?.outcome === "OtpSent" ? "SUCCESS" : "FAILURE";
  const status = typeof body?.status === "string" ? body.status.trim().toUpperCase() : body?.status;
  if (body && !row && code !== undefined && saysBlocked(code, body)) {
    return noted(provider.failure(UNDOCUMENTED_BLOCK, { providerCode: code }), {
      kind: "unrecognised",
      field: "responseCode",
      value: code,
      mappedAs: "AccountBlocked",
    });
  }
  if (!body || !row || (status !== undefined && status !== expected)) {
    return UNDOCUMENTED;
  }
  if (row.outcome !== "OtpSent") return provider.failure(row);

  const stateToken = body.state_token;
  // A success with no state_token cannot be verified later: it is not the documented success.
  if (typeof stateToken !== "string" || stateToken.trim() === "") return UNDOCUMENTED;
  return sent({
    providerMessage: providerText(reply, body.message),
    providerReference: stateToken,
  });
}
