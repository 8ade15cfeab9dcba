/**
 * PAYTM: Paytm sign-in OTP, `POST /v4/signin/otp/sv1/?locale=en-IN` (seed 003_6babc98080133abf.txt).
 *
 * `Authorization: Basic base64(clientId:clientSecret)`, `x-device-identifier`, optionally `autoReadHash`; body
 * `{ phone, scopes }`. Answers `{ status, message, responseCode, state_token }`; the document gives no HTTP
 * statuses, so a reply is mapped by `responseCode` whatever its status.
 */
import type { PaytmOtpInput } from "../otp/inputs.js";
import { maskPhone } from "../otp/mask.js";
import { FieldErrors } from "../otp/validate.js";
import { normaliseIndianMobile } from "../otp/validators/indian-mobile.js";
import {
  asRecord,
  faultOutcome,
  providerText,
  undocumentedReply,
  type UpstreamClient,
  type UpstreamReply,
} from "./http.js";
import {
  failureFromRow,
  rowFor,
  type DocumentedResponse,
  type Parsed,
  type ProviderAdapter,
  type SendResult,
} from "./provider.js";

/** The documented endpoint, appended to the configured base URL; `?locale=` follows. */
export const PAYTM_PATH = "/v4/signin/otp/sv1/";

/** The only `locale` the document lists, and the default. */
export const PAYTM_LOCALE = "en-IN";

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

/** Every response seed 003 documents. `code` is the `responseCode` the provider answers with. */
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
    field: "paytm.deviceIdentifier",
    message: "Paytm needs the identifier of this device.",
    notes: "fieldErrors: paytm.deviceIdentifier",
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
] as const satisfies readonly DocumentedResponse[];

const LIMITS = {
  phone: 32,
  deviceIdentifier: 256,
  scopes: 16,
  scope: 64,
  autoReadHash: 64,
  locale: 16,
};

/** Header values must be printable ASCII, or the HTTP client refuses to send them. */
const HEADER_SAFE = /^[\x20-\x7e]+$/;

/** `PAYTM_BASE_URL`, `PAYTM_CLIENT_ID`, `PAYTM_CLIENT_SECRET`, `PAYTM_SCOPES`. */
export interface PaytmSettings {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Sent when the input names no scopes. */
  scopes: string[];
}

/** The Paytm adapter; the client secret goes only into the `Authorization` header. */
export function createPaytmAdapter(
  settings: PaytmSettings,
  http: UpstreamClient,
): ProviderAdapter<PaytmOtpInput, PaytmRequest> {
  const base = `${settings.baseUrl.replace(/\/+$/, "")}${PAYTM_PATH}`;
  const authorization = `Basic ${Buffer.from(`${settings.clientId}:${settings.clientSecret}`).toString("base64")}`;
  return {
    id: "PAYTM",
    parse: (input) => parsePaytmInput(input, settings.scopes),
    destination: (request) => ({ key: request.body.phone, hint: maskPhone(request.body.phone) }),
    device: (request) => request.deviceIdentifier,
    async send(request) {
      const reply = await http.post({
        url: `${base}?${new URLSearchParams({ locale: request.locale }).toString()}`,
        headers: {
          authorization,
          "x-device-identifier": request.deviceIdentifier,
          ...(request.autoReadHash !== null && { autoReadHash: request.autoReadHash }),
          "content-type": "application/json",
        },
        json: request.body,
      });
      return reply.ok ? mapPaytmResponse(reply) : faultOutcome("PAYTM", reply);
    },
  };
}

/**
 * Validate a Paytm input: an Indian mobile, a device identifier, scopes (the input's, else `defaultScopes`) as
 * non-empty strings, `en-IN` as the only locale; every string capped. Reports every failing field at once.
 */
export function parsePaytmInput(
  input: PaytmOtpInput,
  defaultScopes: readonly string[],
): Parsed<PaytmRequest> {
  const errors = new FieldErrors("paytm");

  const rawPhone = errors.text("phone", input.phone, { max: LIMITS.phone, required: true });
  const phone = rawPhone ? normaliseIndianMobile(rawPhone) : null;
  if (rawPhone && !phone) errors.add("phone", "Not an Indian mobile number (10 digits starting 6–9).");

  const deviceIdentifier = errors.text("deviceIdentifier", input.deviceIdentifier, {
    max: LIMITS.deviceIdentifier,
    required: true,
  });
  if (deviceIdentifier && !HEADER_SAFE.test(deviceIdentifier)) {
    errors.add("deviceIdentifier", "Printable ASCII characters only.");
  }

  const scopes = parseScopes(errors, input.scopes, defaultScopes);

  const autoReadHash = errors.text("autoReadHash", input.autoReadHash, { max: LIMITS.autoReadHash });
  if (autoReadHash && !/^[\x21-\x7e]+$/.test(autoReadHash)) {
    errors.add("autoReadHash", "Printable ASCII characters only, no spaces.");
  }

  const locale = errors.text("locale", input.locale, { max: LIMITS.locale });
  if (locale && locale.toLowerCase() !== PAYTM_LOCALE.toLowerCase()) {
    errors.add("locale", `Paytm documents only ${PAYTM_LOCALE}.`);
  }

  return errors.result(() => ({
    body: { phone: phone ?? "", scopes },
    deviceIdentifier: deviceIdentifier ?? "",
    autoReadHash: autoReadHash ?? null,
    locale: PAYTM_LOCALE,
  }));
}

function parseScopes(
  errors: FieldErrors,
  scopes: readonly string[] | null | undefined,
  defaultScopes: readonly string[],
): string[] {
  if (scopes === null || scopes === undefined) {
    if (defaultScopes.length === 0) errors.add("scopes", "Required: this server has no default scopes.");
    return [...defaultScopes];
  }
  if (scopes.length === 0)
    errors.add("scopes", "At least one scope, or none given for the server's default.");
  if (scopes.length > LIMITS.scopes) {
    errors.add("scopes", `At most ${LIMITS.scopes} scopes.`);
    return [];
  }
  return scopes.flatMap((scope, index) => {
    const checked = errors.text(`scopes.${index}`, scope, { max: LIMITS.scope, required: true });
    return checked ? [checked] : [];
  });
}

/** Map one reply of Paytm to an outcome, by its documented `responseCode` whatever the HTTP status. */
export function mapPaytmResponse(reply: UpstreamReply): SendResult {
  const body = asRecord(reply.body);
  const code = body?.responseCode;
  const row = typeof code === "string" ? rowFor(PAYTM_RESPONSES, code) : undefined;
  const status = row?.outcome === "OtpSent" ? "SUCCESS" : "FAILURE";
  if (!body || !row || (body.status !== undefined && body.status !== status)) {
    return undocumentedReply("PAYTM", reply);
  }
  if (row.outcome !== "OtpSent") return failureFromRow("PAYTM", row);

  const stateToken = body.state_token;
  // A success with no state_token cannot be verified later: it is not the documented success.
  if (typeof stateToken !== "string" || stateToken.trim() === "") return undocumentedReply("PAYTM", reply);
  return {
    kind: "sent",
    providerMessage: providerText(reply, body.message),
    providerReference: stateToken,
    devOtp: null,
    validForSeconds: null,
    resendGapSeconds: null,
    attemptsAllowed: null,
  };
}
