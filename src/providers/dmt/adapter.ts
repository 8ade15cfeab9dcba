/**
 * DMT: iServeU DMT-lite unified OTP send, `POST /common/dmt-lite/unified/otp/send` (the iServeU DMT-lite OTP send
 * document).
 *
 * Headers `client_id` and `client_secret`; a JSON body of strings with the document's field names. Every answer
 * comes with HTTP 200 and `{ status, statusCode, statusDesc, paramA, paramB, paramC }`, so it is mapped by
 * `statusCode` whatever the HTTP status: "0" sent, "-1" a bad requested amount, "1" failed to send.
 */
import { maskPhone } from "../../otp/mask.js";
import type { ProviderAdapter, SingleUse } from "../../otp/ports.js";
import { exchange, joinUrl, UNDOCUMENTED, type Mapped } from "../exchange.js";
import type { UpstreamClient, UpstreamReply } from "../http-client.js";
import type { ProviderBinding } from "../binding.js";
import { asRecord, codeOf, documentedRow, providerText, rowFor, sent } from "../outcomes.js";
import type { OtpFailure } from "../../otp/model.js";
import type { DocumentedResponse } from "../outcomes.js";
import { DMT_OTP_TYPE, parseDmtInput, type DmtOtpFields, type DmtOtpType } from "./input.js";

/** The documented endpoint, appended to the configured base URL. */
export const DMT_PATH = "/common/dmt-lite/unified/otp/send";

/**
 * The wire request, with the document's names (`publicIP`, not `publicIp`). An optional field the user did not
 * give is omitted, not sent as `null` or `""`: the document types every field as a string (so `null` is not a
 * value it describes) and validates values it is given (an empty `requestedAmount` is its "-1" error), so absence
 * is the only way to say "not given" that it cannot misread.
 */
export interface DmtWireRequest {
  customerMobileNumber: string;
  externalRefNumber?: string;
  requestedAmount?: string;
  username: string;
  otpType: (typeof DMT_OTP_TYPE)[DmtOtpType];
  latLong?: string;
  publicIP?: string;
  ovdType: string;
  /** An Aadhaar number when `ovdType` names Aadhaar: never logged, stored or echoed. */
  ovdData?: string;
  paramA?: string;
  paramB?: string;
  paramC?: string;
}

/** The wire response, success or failure. */
export interface DmtWireResponse {
  status: "SUCCESS" | "FAILED";
  statusCode: string;
  statusDesc: string;
  paramA?: string;
  paramB?: string;
  paramC?: string;
}

/** What the DMT-lite OTP send document says of a customer-registration OTP ("1"); it says none of this of "2". */
export const DMT_REGISTRATION_OTP = {
  validForSeconds: 600,
  resendGapSeconds: 30,
  attemptsAllowed: 5,
} as const;

/** Every response the DMT-lite OTP send document describes. `code` is the `statusCode` answered. */
export const DMT_RESPONSES = [
  {
    code: "0",
    documented: '`statusCode "0"` (SUCCESS, "OTP Sent Successfully")',
    outcome: "OtpSent",
    notes:
      "CUSTOMER_REGISTRATION: expiresAt +10 min, resend gap 30 s, attemptsAllowed 5; TRANSACTION: providerReference = externalRefNumber; providerMessage = statusDesc",
  },
  {
    code: "-1",
    documented: '`statusCode "-1"` (FAILED, "Requested Amount Must Not be EMPTY Or Only Number Allowed")',
    outcome: "InvalidInput",
    field: "requestedAmount",
    message: "The requested amount must be given, in digits only.",
    notes:
      "only when statusDesc is about the amount; any other statusDesc (cleaned) is the " +
      "message, with no field. Nothing was sent: a TRANSACTION's reference number is given back",
  },
  {
    code: "1",
    documented: '`statusCode "1"` (FAILED, "Failed to send OTP")',
    outcome: "ProviderUnavailable",
    retryable: true,
    message: "Failed to send OTP. Please try again shortly.",
    notes:
      '"Failed to send OTP": nothing was sent, so a TRANSACTION\'s reference number is given back for the retry',
  },
] as const satisfies readonly DocumentedResponse[];

/** The `status` each documented `statusCode` comes with; a reply that contradicts it is not documented. */
const STATUS_OF_CODE: Record<string, DmtWireResponse["status"]> = {
  "0": "SUCCESS",
  "-1": "FAILED",
  "1": "FAILED",
};

/** `DMT_BASE_URL`, `DMT_CLIENT_ID`, `DMT_CLIENT_SECRET`. */
export interface DmtSettings {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
}

/** The iServeU DMT adapter; the client secret goes only into the request's header. */
export function createDmtAdapter(
  provider: ProviderBinding,
  settings: DmtSettings,
  http: UpstreamClient,
): ProviderAdapter<DmtOtpFields, DmtWireRequest> {
  const url = joinUrl(settings.baseUrl, DMT_PATH);
  const headers = { client_id: settings.clientId, client_secret: settings.clientSecret };
  const phoneField = provider.field("customerMobileNumber");
  const referenceField = provider.field("externalRefNumber");
  return {
    parse: (input) => parseDmtInput(provider, input),
    destination: (request) => ({
      key: request.customerMobileNumber,
      hint: maskPhone(request.customerMobileNumber),
      phone: { e164: `+91${request.customerMobileNumber}`, field: phoneField },
    }),
    device: () => null,
    singleUse: (request) => transactionReference(request, referenceField),
    send: (request) =>
      exchange(http, provider.id, { url, headers, json: request }, (reply) =>
        mapDmtResponse(provider, reply, request),
      ),
  };
}

/**
 * "To regenerate the OTP, the client Reference ID must be changed": a TRANSACTION send takes its
 * `externalRefNumber` once per customer for as long as an OTP can be valid. The document states a validity only for
 * type 1 (10 minutes); that is the window for type 2 too.
 */
export function transactionReference(request: DmtWireRequest, field: string): SingleUse | null {
  if (request.otpType !== DMT_OTP_TYPE.TRANSACTION || !request.externalRefNumber) return null;
  return {
    value: `${request.customerMobileNumber}\0${request.externalRefNumber}`,
    seconds: DMT_REGISTRATION_OTP.validForSeconds,
    field,
    message:
      "This reference number was already used for an OTP to this customer. Use a new reference number to get a new OTP.",
  };
}

/**
 * Map one reply of iServeU to an outcome, by its documented `statusCode` (a string or a number) whatever the HTTP
 * status. "-1" and "1" say no OTP went out, so the reference number is given back (`otpNotSent`).
 */
export function mapDmtResponse(
  provider: ProviderBinding,
  reply: UpstreamReply,
  request: DmtWireRequest,
): Mapped {
  const body = asRecord(reply.body);
  const code = codeOf(body?.statusCode);
  const row = code === undefined ? undefined : rowFor(DMT_RESPONSES, code);
  const status = typeof body?.status === "string" ? body.status.trim().toUpperCase() : body?.status;
  if (!body || !row || (status !== undefined && status !== STATUS_OF_CODE[row.code])) {
    return UNDOCUMENTED;
  }
  if (row.code === "-1") return { ...invalidRequest(provider, reply, body.statusDesc), otpNotSent: true };
  if (row.outcome !== "OtpSent") return { ...provider.failure(row), otpNotSent: true };

  const registration = request.otpType === DMT_OTP_TYPE.CUSTOMER_REGISTRATION;
  return sent({
    providerMessage: providerText(reply, body.statusDesc),
    providerReference: registration ? null : (request.externalRefNumber ?? null),
    ...(registration && DMT_REGISTRATION_OTP),
  });
}

const INVALID_REQUEST = documentedRow(DMT_RESPONSES, "-1");

/**
 * "-1": the document's only example is about the requested amount, so `dmt.requestedAmount` is named when the
 * `statusDesc` is about the amount (or there is none); any other "-1" is the provider's `statusDesc`, cleaned, as
 * the message, with no field named (this service cannot tell which one it means).
 */
function invalidRequest(provider: ProviderBinding, reply: UpstreamReply, statusDesc: unknown): OtpFailure {
  const description = providerText(reply, statusDesc);
  if (description === null || /\bamount\b/i.test(description)) return provider.failure(INVALID_REQUEST);
  return provider.failure(INVALID_REQUEST, { fieldErrors: [], message: description });
}
