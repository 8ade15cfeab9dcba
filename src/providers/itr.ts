/**
 * ITR: the income-tax portal OTP through KwikID, `POST /verification/v2/itr/get_otp`
 * (seed 001_a58e365266956303.txt).
 *
 * `Authorization: Bearer <token>` and `{ pan, password }` (the portal password). Answers 200
 * `{ otp_status }`, 400 `{ detail, message }` (validation error), 401 (invalid bearer token) or
 * 500 `{ error }`. The password is sent and nothing else: never logged, stored or echoed.
 */
import type { FieldError } from "../otp/model.js";
import type { ItrOtpInput } from "../otp/inputs.js";
import { maskId } from "../otp/mask.js";
import { FieldErrors, textProblem } from "../otp/validate.js";
import { normalizePan, panProblems } from "../otp/validators/pan.js";
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

/** Every response seed 001 documents. `code` is the HTTP status. */
export const ITR_RESPONSES = [
  {
    code: "200",
    documented: "HTTP 200 with `otp_status`",
    outcome: "OtpSent",
    notes: "providerMessage = otp_status",
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

const LIMITS = { pan: 32, password: 128 };

/** Settings of the ITR provider, from `ITR_BASE_URL` and `ITR_API_TOKEN`. */
export interface ItrSettings {
  baseUrl: string;
  apiToken: string;
}

/** The ITR adapter: validates `itr`, sends the documented request, maps the documented statuses. */
export function createItrAdapter(
  settings: ItrSettings,
  http: UpstreamClient,
): ProviderAdapter<ItrOtpInput, ItrWireRequest> {
  const url = `${settings.baseUrl.replace(/\/+$/, "")}${ITR_PATH}`;
  const headers = { authorization: `Bearer ${settings.apiToken}`, "content-type": "application/json" };
  return {
    id: "ITR",
    parse: parseItrInput,
    destination: ({ pan }) => ({ key: pan, hint: maskPan(pan) }),
    device: () => null,
    async send(request) {
      const reply = await http.post({ url, headers, json: request });
      return reply.ok ? mapItrResponse(reply) : faultOutcome("ITR", reply);
    },
  };
}

/** A PAN with its first 2 and last 2 characters shown: `AB******4F`. */
export function maskPan(pan: string): string {
  return maskId(pan, 2, 2);
}

/** A PAN with a valid holder type, and a password sent exactly as typed; every failure at once. */
export function parseItrInput(input: ItrOtpInput): Parsed<ItrWireRequest> {
  const errors = new FieldErrors("itr");
  const rawPan = errors.text("pan", input.pan, { max: LIMITS.pan, required: true });
  const pan = rawPan ? normalizePan(rawPan) : "";
  if (rawPan) for (const problem of panProblems(pan)) errors.add("pan", problem);

  // Not trimmed: spaces may be part of a password. The messages never quote it.
  const { password } = input;
  if (password.trim() === "") errors.add("password", "Required.");
  else if (password.length > LIMITS.password)
    errors.add("password", `At most ${LIMITS.password} characters.`);
  else {
    const problem = textProblem(password);
    if (problem) errors.add("password", problem);
  }

  return errors.result(() => ({ pan, password }));
}

/** Map one reply of KwikID's ITR OTP to an outcome, by its documented HTTP status and body. */
export function mapItrResponse(reply: UpstreamReply): SendResult {
  const row = rowFor(ITR_RESPONSES, String(reply.status));
  const body = asRecord(reply.body);
  switch (row?.outcome) {
    case "OtpSent":
      if (typeof body?.otp_status !== "string") break;
      return {
        kind: "sent",
        providerReference: null,
        providerMessage: providerText(reply, body.otp_status),
        devOtp: null,
        validForSeconds: null,
        resendGapSeconds: null,
        attemptsAllowed: null,
      };
    case "InvalidInput":
      if (!body || !("detail" in body || "message" in body)) break;
      return failureFromRow("ITR", row, { fieldErrors: namedFieldErrors(body.detail) });
    case "ProviderAuthFailed":
    case "ProviderUnavailable":
      return failureFromRow("ITR", row);
    case undefined:
      break;
  }
  return undocumentedReply("ITR", reply);
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
