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
import { exchange, joinUrl, noted, UNDOCUMENTED, type Mapped } from "../exchange.js";
import type { ProviderBinding } from "../binding.js";
import type { UpstreamClient, UpstreamReply } from "../http-client.js";
import { asRecord, documentedRow, providerText, readStatus, rowFor, sent } from "../outcomes.js";
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
  { otp_status: string | boolean } | { detail: unknown; message: string } | { error: string };

/**
 * Every response the KwikID ITR get_otp document describes. `code` is the HTTP status; a 200 is read by its
 * `otp_status` ("check otp_status for whether an OTP was triggered"): only a status that says so is `OtpSent`.
 */
export const ITR_RESPONSES = [
  {
    code: "200",
    documented: "HTTP 200 with an `otp_status` that says an OTP was triggered",
    outcome: "OtpSent",
    notes:
      "otp_status `true`, or a text with a word sent, success, successful(ly), triggered or true (any case, e.g. " +
      '"OTP_SENT") and none that says otherwise: providerMessage = otp_status',
  },
  {
    code: "200 not triggered",
    documented: "HTTP 200 with an `otp_status` that says no OTP was triggered",
    outcome: "ProviderUnavailable",
    providerCode: "200",
    retryable: true,
    message: "The income-tax portal did not send an OTP this time. Please try again shortly.",
    notes:
      'otp_status `false`, or a word not, fail(ed), failure, error, false, unable, unsuccessful or cannot ("OTP not ' +
      'sent", "FAILED"): the portal sent nothing and says nothing of the input, so trying again is safe',
  },
  {
    code: "200 invalid",
    documented: "HTTP 200 with an `otp_status` that says the PAN or password is invalid",
    outcome: "InvalidInput",
    providerCode: "200",
    retryable: false,
    message: "The income-tax portal did not accept this PAN or password.",
    notes:
      'a word invalid, incorrect, wrong or mismatch ("Invalid credentials"): nothing was sent and the same input ' +
      "would fail again; fieldErrors name the PAN and/or the password where the status does (credentials: password)",
  },
  {
    code: "200 locked",
    documented: "HTTP 200 with an `otp_status` that says the portal account is locked",
    outcome: "AccountBlocked",
    providerCode: "200",
    retryable: false,
    message: "The income-tax portal account is locked. Please unlock it on the portal, then try again.",
    notes: 'a word locked, lock, blocked, suspended or disabled ("Locked"): only the user can unlock it',
  },
  {
    code: "200 unrecognised",
    documented: "HTTP 200 with any other `otp_status`",
    outcome: "UnexpectedProviderResponse",
    providerCode: "200",
    retryable: false,
    message: "The income-tax portal gave an answer this service does not understand.",
    notes:
      'e.g. "NO_OTP", "PENDING": not said to be sent, so not OtpSent; not retryable (an OTP may be on its way, a ' +
      "retry could send a second); providerMessage = otp_status (cleaned); logged once as undocumented",
  },
  {
    code: "400",
    documented: "HTTP 400 `{detail, message}`",
    outcome: "InvalidInput",
    retryable: false,
    message: "The income-tax portal did not accept this PAN or password.",
    notes: "detail → fieldErrors where it names fields (the PAN, the password)",
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
const NAMED_FIELDS: Record<keyof ItrWireRequest, string> = {
  pan: "The income-tax portal did not accept this PAN.",
  password: "The income-tax portal did not accept this password.",
};

/** The rows of a 200 by what its `otp_status` says. */
const BY_STATUS = {
  notSent: documentedRow(ITR_RESPONSES, "200 not triggered"),
  invalid: documentedRow(ITR_RESPONSES, "200 invalid"),
  locked: documentedRow(ITR_RESPONSES, "200 locked"),
  unrecognised: documentedRow(ITR_RESPONSES, "200 unrecognised"),
};

/** Settings of the ITR provider, from `ITR_BASE_URL` and `ITR_API_TOKEN`. */
export interface ItrSettings {
  baseUrl: string;
  apiToken: string;
}

/** The ITR adapter: validates `itr`, sends the documented request, maps the documented statuses. */
export function createItrAdapter(
  provider: ProviderBinding,
  settings: ItrSettings,
  http: UpstreamClient,
): ProviderAdapter<ItrOtpFields, ItrWireRequest> {
  const url = joinUrl(settings.baseUrl, ITR_PATH);
  const headers = { authorization: `Bearer ${settings.apiToken}` };
  return {
    parse: (input) => parseItrInput(provider, input),
    destination: ({ pan }) => ({ key: pan, hint: maskPan(pan) }),
    device: () => null,
    send: (request) =>
      exchange(http, provider.id, { url, headers, json: request }, (reply) =>
        mapItrResponse(provider, reply),
      ),
  };
}

/** A PAN with its first 2 and last 2 characters shown: `AB******4F`. */
export function maskPan(pan: string): string {
  return maskId(pan, 2, 2);
}

/**
 * Map one reply of KwikID's ITR OTP to an outcome, by its documented HTTP status and body. A 200 is `OtpSent` only
 * when its `otp_status` says an OTP was triggered (see {@link ITR_RESPONSES}); an unrecognised one is noted, to be
 * logged once as undocumented.
 */
export function mapItrResponse(provider: ProviderBinding, reply: UpstreamReply): Mapped {
  const row = rowFor(ITR_RESPONSES, String(reply.status));
  const body = asRecord(reply.body);
  switch (row?.outcome) {
    case "OtpSent":
      return body && "otp_status" in body ? mapOtpStatus(provider, reply, body.otp_status) : UNDOCUMENTED;
    case "InvalidInput":
      if (!body || !("detail" in body || "message" in body)) break;
      return provider.failure(row, { fieldErrors: namedFieldErrors(provider, body.detail) });
    case "ProviderAuthFailed":
    case "ProviderUnavailable":
      return provider.failure(row);
    default:
      break;
  }
  return UNDOCUMENTED;
}

/** A 200 by its `otp_status`: `true`/`false`, or a text read by its words ({@link readStatus}). */
function mapOtpStatus(provider: ProviderBinding, reply: UpstreamReply, status: unknown): Mapped {
  if (status === true) return sent({});
  if (typeof status !== "string" && status !== false) return UNDOCUMENTED;
  const reading = status === false ? "notSent" : readStatus(status);
  if (reading === "sent") return sent({ providerMessage: providerText(reply, status) });
  const row = BY_STATUS[reading];
  switch (reading) {
    case "unrecognised":
      return noted(
        { ...provider.unexpectedReply(reply, status), message: BY_STATUS.unrecognised.message },
        { kind: "undocumented", hint: "an otp_status that does not say whether an OTP was triggered" },
      );
    case "invalid":
      return {
        ...provider.failure(row, { fieldErrors: fieldsNamedIn(provider, String(status)) }),
        otpNotSent: true,
      };
    default:
      return { ...provider.failure(row), otpNotSent: true };
  }
}

/** The input fields an `otp_status` names: the PAN, the password (or "credentials"). */
function fieldsNamedIn(provider: ProviderBinding, status: string): FieldError[] {
  const words = new Set(status.toLowerCase().split(/[^a-z]+/));
  const named: (keyof ItrWireRequest)[] = [
    ...(words.has("pan") ? (["pan"] as const) : []),
    ...(["password", "credential", "credentials"].some((word) => words.has(word))
      ? (["password"] as const)
      : []),
  ];
  return named.map((name) => ({ field: provider.field(name), message: NAMED_FIELDS[name] }));
}

/**
 * The input fields a validation `detail` names: an object keyed by field (`{ pan: "…" }`), or FastAPI's list
 * of `{ loc: ["body", "pan"], msg }`. Anything else names none.
 */
function namedFieldErrors(provider: ProviderBinding, detail: unknown): FieldError[] {
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
    .map(([name, message]) => ({ field: provider.field(name), message }));
}
