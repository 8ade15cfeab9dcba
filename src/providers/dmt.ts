/**
 * DMT: iServeU DMT-lite unified OTP send, `POST /common/dmt-lite/unified/otp/send` (seed 002_9bf852a1655d21e7.txt).
 *
 * Headers `client_id` and `client_secret`; a JSON body of strings with the document's field names. Every answer
 * comes with HTTP 200 and `{ status, statusCode, statusDesc, paramA, paramB, paramC }`, so it is mapped by
 * `statusCode` whatever the HTTP status: "0" sent, "-1" a bad requested amount, "1" failed to send.
 */
import type { DmtOtpInput, DmtOtpType } from "../otp/inputs.js";
import { maskPhone } from "../otp/mask.js";
import { FieldErrors } from "../otp/validate.js";
import { normaliseAadhaar } from "../otp/validators/aadhaar.js";
import { isIpAddress, normaliseLatLong } from "../otp/validators/geo-ip.js";
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

/** The documented endpoint, appended to the configured base URL. */
export const DMT_PATH = "/common/dmt-lite/unified/otp/send";

/** `otpType` on the wire. */
export const DMT_OTP_TYPE = { CUSTOMER_REGISTRATION: "1", TRANSACTION: "2" } as const satisfies Record<
  DmtOtpType,
  string
>;

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

/** What seed 002 documents for a customer-registration OTP ("1"); it documents none of these for "2". */
export const DMT_REGISTRATION_OTP = {
  validForSeconds: 600,
  resendGapSeconds: 30,
  attemptsAllowed: 5,
} as const;

/** Every response seed 002 documents. `code` is the `statusCode` the provider answers with. */
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
    field: "dmt.requestedAmount",
    message: "The requested amount must be given, in digits only.",
    notes: "fieldErrors: dmt.requestedAmount",
  },
  {
    code: "1",
    documented: '`statusCode "1"` (FAILED, "Failed to send OTP")',
    outcome: "ProviderUnavailable",
    retryable: true,
    message: "Failed to send OTP. Please try again shortly.",
    notes: '"Failed to send OTP"',
  },
] as const satisfies readonly DocumentedResponse[];

/** The `status` each documented `statusCode` comes with; a reply that contradicts it is not documented. */
const STATUS_OF_CODE: Record<string, DmtWireResponse["status"]> = {
  "0": "SUCCESS",
  "-1": "FAILED",
  "1": "FAILED",
};

const LIMITS = {
  customerMobileNumber: 32,
  username: 64,
  externalRefNumber: 22,
  requestedAmount: 12,
  ovdType: 32,
  ovdData: 64,
  latLong: 48,
  publicIp: 64,
  param: 100,
};

/** `DMT_BASE_URL`, `DMT_CLIENT_ID`, `DMT_CLIENT_SECRET`. */
export interface DmtSettings {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
}

/** The iServeU DMT adapter; the client secret goes only into the request's header. */
export function createDmtAdapter(
  settings: DmtSettings,
  http: UpstreamClient,
): ProviderAdapter<DmtOtpInput, DmtWireRequest> {
  // Appended, not resolved: a base URL with a path prefix keeps it.
  const url = `${settings.baseUrl.replace(/\/+$/, "")}${DMT_PATH}`;
  const headers = {
    "content-type": "application/json",
    client_id: settings.clientId,
    client_secret: settings.clientSecret,
  };
  return {
    id: "DMT",
    parse: parseDmtInput,
    destination: (request) => ({
      key: request.customerMobileNumber,
      hint: maskPhone(request.customerMobileNumber),
    }),
    device: () => null,
    async send(request) {
      const reply = await http.post({ url, headers, json: request });
      return reply.ok ? mapDmtResponse(reply, request) : faultOutcome("DMT", reply);
    },
  };
}

/**
 * Validate a DMT input: an Indian mobile; ovdData for CUSTOMER_REGISTRATION; externalRefNumber (6–22 letters or
 * digits) and requestedAmount (digits) for TRANSACTION; a valid Aadhaar when ovdType names Aadhaar; latLong and
 * publicIp when given; every string capped. Reports every failing field at once and never echoes a value.
 */
export function parseDmtInput(input: DmtOtpInput): Parsed<DmtWireRequest> {
  const errors = new FieldErrors("dmt");
  const transaction = input.otpType === "TRANSACTION";
  const required = (when: boolean) => ({ required: when });

  const rawMobile = errors.text("customerMobileNumber", input.customerMobileNumber, {
    max: LIMITS.customerMobileNumber,
    required: true,
  });
  const mobile = rawMobile ? normaliseIndianMobile(rawMobile) : null;
  if (rawMobile && !mobile) {
    errors.add("customerMobileNumber", "Not an Indian mobile number (10 digits starting 6–9).");
  }

  const otpType = Object.hasOwn(DMT_OTP_TYPE, input.otpType) ? DMT_OTP_TYPE[input.otpType] : undefined;
  if (otpType === undefined) errors.add("otpType", "Must be CUSTOMER_REGISTRATION or TRANSACTION.");

  const username = errors.text("username", input.username, { max: LIMITS.username, required: true });

  const externalRefNumber = errors.text("externalRefNumber", input.externalRefNumber, {
    max: LIMITS.externalRefNumber,
    ...required(transaction),
  });
  if (externalRefNumber && !/^[A-Za-z0-9]{6,22}$/.test(externalRefNumber)) {
    errors.add("externalRefNumber", "6 to 22 letters or digits.");
  }

  const requestedAmount = errors.text("requestedAmount", input.requestedAmount, {
    max: LIMITS.requestedAmount,
    ...required(transaction),
  });
  if (requestedAmount && !/^\d+$/.test(requestedAmount)) {
    errors.add("requestedAmount", "Digits only.");
  }

  const ovdType = errors.text("ovdType", input.ovdType, { max: LIMITS.ovdType, required: true });
  const rawOvdData = errors.text("ovdData", input.ovdData, {
    max: LIMITS.ovdData,
    ...required(!transaction),
  });
  let ovdData = rawOvdData;
  if (ovdType && rawOvdData && /aadha?ar/i.test(ovdType)) {
    ovdData = normaliseAadhaar(rawOvdData);
    if (!ovdData) {
      errors.add("ovdData", "Not a valid Aadhaar number (12 digits, the first 2–9, with its check digit).");
    }
  }

  const rawLatLong = errors.text("latLong", input.latLong, { max: LIMITS.latLong });
  const latLong = rawLatLong ? normaliseLatLong(rawLatLong) : null;
  if (rawLatLong && !latLong) {
    errors.add("latLong", "Must be `latitude,longitude` in decimal degrees (−90…90, −180…180).");
  }

  const publicIp = errors.text("publicIp", input.publicIp, { max: LIMITS.publicIp });
  if (publicIp && !isIpAddress(publicIp)) errors.add("publicIp", "Not an IPv4 or IPv6 address.");

  const paramA = errors.text("paramA", input.paramA, { max: LIMITS.param });
  const paramB = errors.text("paramB", input.paramB, { max: LIMITS.param });
  const paramC = errors.text("paramC", input.paramC, { max: LIMITS.param });

  return errors.result(() =>
    withoutAbsent({
      customerMobileNumber: mobile ?? "",
      externalRefNumber,
      requestedAmount,
      username: username ?? "",
      otpType: otpType ?? DMT_OTP_TYPE.CUSTOMER_REGISTRATION,
      latLong,
      publicIP: publicIp,
      ovdType: ovdType ?? "",
      ovdData,
      paramA,
      paramB,
      paramC,
    }),
  );
}

type Optional<T> = { [K in keyof T]: T[K] | null | undefined };

/** Drops the fields the user did not give (see {@link DmtWireRequest} for why they are omitted). */
function withoutAbsent(request: Optional<DmtWireRequest>): DmtWireRequest {
  return Object.fromEntries(
    Object.entries(request).filter(([, value]) => value !== null && value !== undefined),
  ) as unknown as DmtWireRequest;
}

/** Map one reply of iServeU to an outcome, by its documented `statusCode` whatever the HTTP status. */
export function mapDmtResponse(reply: UpstreamReply, request: DmtWireRequest): SendResult {
  const body = asRecord(reply.body);
  const code = body?.statusCode;
  const row = typeof code === "string" ? rowFor(DMT_RESPONSES, code) : undefined;
  if (!body || !row || (body.status !== undefined && body.status !== STATUS_OF_CODE[row.code])) {
    return undocumentedReply("DMT", reply);
  }
  if (row.outcome !== "OtpSent") return failureFromRow("DMT", row);

  const registration = request.otpType === DMT_OTP_TYPE.CUSTOMER_REGISTRATION;
  return {
    kind: "sent",
    providerMessage: providerText(reply, body.statusDesc),
    providerReference: registration ? null : (request.externalRefNumber ?? null),
    devOtp: null,
    validForSeconds: registration ? DMT_REGISTRATION_OTP.validForSeconds : null,
    resendGapSeconds: registration ? DMT_REGISTRATION_OTP.resendGapSeconds : null,
    attemptsAllowed: registration ? DMT_REGISTRATION_OTP.attemptsAllowed : null,
  };
}
