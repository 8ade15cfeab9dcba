/**
 * GST: the GST portal's GSTR OTP through a verification aggregator (seed 000_bb0967ee364eae7b.txt).
 *
 * `POST <baseUrl><otpPath>` (the document gives no path, so it is a setting) with the access token of an earlier
 * login as the `Authorization` header, as is (no scheme is documented), and
 * `{ task: "getOtp", essentials: { gstin, username } }`. The document's table says `essentials.gstn` but its
 * request sample sends `gstin`; the contract follows the sample. A 200 carries `result.appKey`, which later
 * requests the GST auth token; the failures are documented by HTTP status only.
 */
import type { GstOtpInput } from "../otp/inputs.js";
import { maskId } from "../otp/mask.js";
import { FieldErrors } from "../otp/validate.js";
import { gstinProblems, normalizeGstin } from "../otp/validators/gstin.js";
import {
  asRecord,
  faultOutcome,
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

/** The wire request, as the document's sample. */
export interface GstWireRequest {
  task: "getOtp";
  essentials: { gstin: string; username: string };
}

/** The wire response of a 200, as the document's sample. */
export interface GstWireResponse {
  task: "getOtp";
  essentials: { gstin: string; username: string };
  /** The access token of the login call, echoed. */
  id: string;
  patronId: string;
  result: { message: string; appKey: string };
}

/** Every response seed 000 documents. `code` is the HTTP status. */
export const GST_RESPONSES = [
  {
    code: "200",
    documented: "HTTP 200 with `result.appKey`",
    outcome: "OtpSent",
    notes: "providerReference = appKey, providerMessage = result.message",
  },
  {
    code: "400",
    documented: "HTTP 400",
    outcome: "InvalidInput",
    retryable: false,
    message: "The GST portal refused this request as invalid. Check the GSTIN and username.",
  },
  {
    code: "401",
    documented: "HTTP 401",
    outcome: "ProviderAuthFailed",
    retryable: false,
    message: "The GST portal did not accept this service's credentials. Please try again later.",
  },
  {
    code: "404",
    documented: "HTTP 404",
    outcome: "AccountNotFound",
    retryable: false,
    message: "The GST portal has no account for this GSTIN and username.",
  },
  {
    code: "422",
    documented: "HTTP 422",
    outcome: "InvalidInput",
    retryable: false,
    message: "The GST portal could not process this GSTIN and username. Check them and try again.",
  },
] as const satisfies readonly DocumentedResponse[];

/** Length caps of the raw input (the GSTIN is checked for exactly 15 characters after trimming). */
const LIMITS = { gstin: 32, username: 64 };

/** Settings of the GST provider, from `GST_BASE_URL`, `GST_OTP_PATH` and `GST_ACCESS_TOKEN`. */
export interface GstSettings {
  baseUrl: string;
  otpPath: string;
  accessToken: string;
}

/** The GST adapter: validates `gst`, sends the documented request, maps the documented statuses. */
export function createGstAdapter(
  settings: GstSettings,
  http: UpstreamClient,
): ProviderAdapter<GstOtpInput, GstWireRequest> {
  // `baseUrl + otpPath`, keeping any path prefix of the base (a URL resolution would drop it).
  const url = `${settings.baseUrl.replace(/\/+$/, "")}${settings.otpPath}`;
  const headers = { authorization: settings.accessToken, "content-type": "application/json" };
  return {
    id: "GST",
    parse: parseGstInput,
    destination: ({ essentials: { gstin } }) => ({ key: gstin, hint: maskGstin(gstin) }),
    device: () => null,
    async send(request) {
      const reply = await http.post({ url, headers, json: request });
      return reply.ok ? mapGstResponse(reply) : faultOutcome("GST", reply);
    },
  };
}

/** A GSTIN with only its state code and last 4 characters shown: `27*********F1ZV`. */
export function maskGstin(gstin: string): string {
  return maskId(gstin, 2, 4);
}

/** A GSTIN of any structure (state code, shape, check character) and a username; every failure at once. */
export function parseGstInput(input: GstOtpInput): Parsed<GstWireRequest> {
  const errors = new FieldErrors("gst");
  const rawGstin = errors.text("gstin", input.gstin, { max: LIMITS.gstin, required: true });
  const username = errors.text("username", input.username, { max: LIMITS.username, required: true });

  const gstin = rawGstin ? normalizeGstin(rawGstin) : "";
  if (rawGstin) for (const problem of gstinProblems(gstin)) errors.add("gstin", problem);
  if (username && /\p{Cf}/u.test(username)) {
    errors.add("username", "Must not contain invisible formatting characters.");
  }
  return errors.result(() => ({ task: "getOtp", essentials: { gstin, username: username ?? "" } }));
}

/** Map one reply of the GST provider to an outcome, by its documented HTTP status. */
export function mapGstResponse(reply: UpstreamReply): SendResult {
  const row = rowFor(GST_RESPONSES, String(reply.status));
  if (!row) return undocumentedReply("GST", reply);
  if (row.outcome !== "OtpSent") return failureFromRow("GST", row);

  const result = asRecord(asRecord(reply.body)?.result);
  const appKey = result?.appKey;
  if (typeof appKey !== "string" || appKey.trim() === "") return undocumentedReply("GST", reply);
  return {
    kind: "sent",
    providerReference: appKey,
    providerMessage: typeof result?.message === "string" ? result.message : null,
    devOtp: null,
    validForSeconds: null,
    resendGapSeconds: null,
    attemptsAllowed: null,
  };
}
