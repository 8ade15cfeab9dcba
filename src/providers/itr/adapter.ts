/**
 * ITR: the income-tax portal OTP through KwikID, `POST /verification/v2/itr/get_otp` (the KwikID ITR get_otp
 * document).
 *
 * `Authorization: Bearer <token>` and `{ pan, password }` (the portal password). Answers 200
 * `{ otp_status }`, 400 `{ detail, message }` (validation error), 401 (invalid bearer token) or
 * 500 `{ error }`. The password is sent and nothing else: never logged, stored or echoed.
 */
import type { FieldError } from "../../otp/model.js";
import { maskId } from "../../otp/mask.js";
import type { ProviderAdapter } from "../../otp/ports.js";
import { exchange, joinUrl, UNDOCUMENTED, type Mapped } from "../exchange.js";
import type { UpstreamClient, UpstreamReply } from "../http-client.js";
import { asRecord, failureFromRow, providerText, rowFor, sent } from "../outcomes.js";
import type { DocumentedResponse } from "../outcomes.js";
import { parseItrInput, type ItrOtpFields } from "./input.js";

export const ITR_PATH = "/verification/v2/itr/get_otp";

/** The wire request, as the document's example. */
export interface ItrWireRequest {
  pan: string;
  /** The income-tax portal password. */
  password: string;
}

/** The wire responses the document shows: 200, 400 and 401, 500. */
export type ItrWireResponse =
  { otp_status: string } | { detail: unknown; message: string } | { error: string };

/** Every response the KwikID ITR get_otp document describes. `code` is the HTTP status. */
export const ITR_RESPONSES = [
  {
    code: "200",
    documented: "HTTP 200 with `otp_status`",
    outcome: "OtpSent",
    notes:
      "otp_status with a word sent, success, successful(ly), triggered, generated or true (any case, e.g. " +
      '"OTP_SENT"): providerMessage = otp_status. With none of these words nor a not-triggered one: OtpSent too ' +
      "(the OTP may be on its way, and a retry would send a second), providerMessage null, logged (scrubbed) and " +
      "counted in otp_provider_unrecognised_total",
  },
  {
    code: "200 not triggered",
    documented: "HTTP 200 with an `otp_status` that says no OTP was triggered",
    outcome: "ProviderUnavailable",
    providerCode: "200",
    retryable: true,
    message: "The income-tax portal did not send an OTP this time. Please try again shortly.",
    notes:
      "otp_status with a word not, fail, failed, failure, error, false, unable or unsuccessful (any case, e.g. " +
      '"OTP not sent", "FAILED"): nothing was sent, so trying again is safe',
  },
  {
    code: "400",
    documented: "HTTP 400 `{detail, message}`",
    outcome: "InvalidInput",
    retryable: false,
    message: "The income-tax portal did not accept this PAN or password.",
    notes: "detail → fieldErrors where it names fields (itr.pan, itr.password)",
  },
  {
    code: "401",
    documented: "HTTP 401",
    outcome: "ProviderAuthFailed",
    retryable: false,
    message: "The income-tax service did not accept this service's credentials. Please try again later.",
  },
  {
    code: "500",
    documented: "HTTP 500 `{error}`",
    outcome: "ProviderUnavailable",
    retryable: true,
    message: "The income-tax service had an error. Please try again shortly.",
  },
] as const satisfies readonly DocumentedResponse[];

/**
 * The input fields a 400's `detail` can name, with what the user is told. The provider's own text is not
 * passed on: it may quote the input, and the input may be the password.
 */
const NAMED_FIELDS: Record<keyof ItrWireRequest, FieldError> = {
  pan: { field: "itr.pan", message: "The income-tax portal did not accept this PAN." },
  password: { field: "itr.password", message: "The income-tax portal did not accept this password." },
};

const NOT_TRIGGERED = ITR_RESPONSES[1];

/** Words of an `otp_status` that say no OTP went out; they win over {@link TRIGGERED_WORDS}. */
const NOT_TRIGGERED_WORDS = new Set([
  "not",
  "fail",
  "failed",
  "failure",
  "error",
  "false",
  "unable",
  "unsuccessful",
]);
/** Words of an `otp_status` that say an OTP went out. */
const TRIGGERED_WORDS = new Set([
  "sent",
  "success",
  "successful",
  "successfully",
  "triggered",
  "generated",
  "true",
]);

/**
 * What an `otp_status` says, by its words in any case (`"OTP_SENT"`, `"OTP sent to registered mobile"`,
 * `"Not Triggered"`, `"FAILED"`): a word of {@link NOT_TRIGGERED_WORDS} says not triggered, else a word of
 * {@link TRIGGERED_WORDS} says triggered, else it is unrecognised.
 */
export function readOtpStatus(status: string): "triggered" | "notTriggered" | "unrecognised" {
  const words = status.toLowerCase().split(/[^a-z]+/);
  if (words.some((word) => NOT_TRIGGERED_WORDS.has(word))) return "notTriggered";
  if (words.some((word) => TRIGGERED_WORDS.has(word))) return "triggered";
  return "unrecognised";
}

/** Settings of the ITR provider, from `ITR_BASE_URL` and `ITR_API_TOKEN`. */
export interface ItrSettings {
  baseUrl: string;
  apiToken: string;
}

/** The ITR adapter: validates `itr`, sends the documented request, maps the documented statuses. */
export function createItrAdapter(
  settings: ItrSettings,
  http: UpstreamClient,
): ProviderAdapter<ItrOtpFields, ItrWireRequest> {
  const url = joinUrl(settings.baseUrl, ITR_PATH);
  const headers = { authorization: `Bearer ${settings.apiToken}` };
  return {
    id: "ITR",
    parse: parseItrInput,
    destination: ({ pan }) => ({ key: pan, hint: maskPan(pan) }),
    device: () => null,
    send: (request) =>
      exchange(http, "ITR", { url, headers, json: request }, (reply) => mapItrResponse(reply, http)),
  };
}

/** A PAN with its first 2 and last 2 characters shown: `AB******4F`. */
export function maskPan(pan: string): string {
  return maskId(pan, 2, 2);
}

/**
 * Map one reply of KwikID's ITR OTP to an outcome, by its documented HTTP status and body; an unrecognised
 * `otp_status` is reported to `http` (logged scrubbed and counted).
 */
export function mapItrResponse(
  reply: UpstreamReply,
  http?: Pick<UpstreamClient, "noteUnrecognised">,
): Mapped {
  const row = rowFor(ITR_RESPONSES, String(reply.status));
  const body = asRecord(reply.body);
  switch (row?.outcome) {
    case "OtpSent": {
      if (typeof body?.otp_status !== "string") break;
      const status = readOtpStatus(body.otp_status);
      if (status === "notTriggered") return failureFromRow("ITR", NOT_TRIGGERED);
      if (status === "unrecognised") http?.noteUnrecognised(reply, "otp_status", body.otp_status, "OtpSent");
      return sent({ providerMessage: status === "triggered" ? providerText(reply, body.otp_status) : null });
    }
    case "InvalidInput":
      if (!body || !("detail" in body || "message" in body)) break;
      return failureFromRow("ITR", row, { fieldErrors: namedFieldErrors(body.detail) });
    case "ProviderAuthFailed":
    case "ProviderUnavailable":
      return failureFromRow("ITR", row);
    case undefined:
      break;
  }
  return UNDOCUMENTED;
}

/**
 * The input fields a validation `detail` names: an object keyed by field (`{ pan: "…" }`), or FastAPI's list
 * of `{ loc: ["body", "pan"], msg }`. Anything else names none.
 */
function namedFieldErrors(detail: unknown): FieldError[] {
  const names = new Set<string>();
  if (Array.isArray(detail)) {
    for (const item of detail) {
      const loc = asRecord(item)?.loc;
      if (Array.isArray(loc)) for (const part of loc) if (typeof part === "string") names.add(part);
    }
  } else {
    for (const key of Object.keys(asRecord(detail) ?? {})) names.add(key);
  }
  const lowered = new Set([...names].map((name) => name.toLowerCase()));
  return Object.entries(NAMED_FIELDS)
    .filter(([name]) => lowered.has(name))
    .map(([, error]) => ({ ...error }));
}
