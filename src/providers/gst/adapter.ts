/**
 * GST: the GST portal's GSTR OTP through a verification aggregator (the "GSTR Initiation Flow - Get OTP Request"
 * document).
 *
 * `POST <baseUrl><otpPath>` (the document gives no path, so it is a setting) with the access token of an earlier
 * login as the `Authorization` header, as is (no scheme is documented), and
 * `{ task: "getOtp", essentials: { gstin, username } }`. The document's table says `essentials.gstn` but its
 * request sample sends `gstin`; the contract follows the sample. A 200 carries `result.appKey`, which later
 * requests the GST auth token; the failures are documented by HTTP status only.
 */
import { maskId } from "../../otp/mask.js";
import type { ProviderAdapter } from "../../otp/ports.js";
import { exchange, joinUrl, UNDOCUMENTED, type Mapped } from "../exchange.js";
import type { UpstreamClient, UpstreamReply } from "../http-client.js";
import {
  asRecord,
  failureFromRow,
  rowFor,
  sent,
  type DocumentedResponse,
  providerText,
} from "../outcomes.js";
import { parseGstInput, type GstOtpFields } from "./input.js";

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

/** Every response the GSTR get-OTP document describes. `code` is the HTTP status. */
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
): ProviderAdapter<GstOtpFields, GstWireRequest> {
  const url = joinUrl(settings.baseUrl, settings.otpPath);
  const headers = { authorization: settings.accessToken };
  return {
    id: "GST",
    parse: parseGstInput,
    destination: ({ essentials: { gstin } }) => ({ key: gstin, hint: maskGstin(gstin) }),
    device: () => null,
    send: (request) => exchange(http, "GST", { url, headers, json: request }, mapGstResponse),
  };
}

/** A GSTIN with only its state code and last 4 characters shown: `27*********F1ZV`. */
export function maskGstin(gstin: string): string {
  return maskId(gstin, 2, 4);
}

/** Map one reply of the GST provider to an outcome, by its documented HTTP status. */
export function mapGstResponse(reply: UpstreamReply): Mapped {
  const row = rowFor(GST_RESPONSES, String(reply.status));
  if (!row) return UNDOCUMENTED;
  if (row.outcome !== "OtpSent") return failureFromRow("GST", row);

  const result = asRecord(asRecord(reply.body)?.result);
  const appKey = result?.appKey;
  if (typeof appKey !== "string" || appKey.trim() === "") return UNDOCUMENTED;
  return sent({
    providerReference: appKey,
    providerMessage: providerText(reply, result?.message),
  });
}
