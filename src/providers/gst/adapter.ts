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
import { joinUrl, noted, settle, UNDOCUMENTED, type Mapped } from "../exchange.js";
import { fixedToken, GST_LOGIN_RESPONSES, GstLogin, type GstCredentials } from "./login.js";
import type { UpstreamClient, UpstreamReply } from "../http-client.js";
import type { ProviderBinding } from "../binding.js";
import { asRecord, documentedRow, providerText, rowFor, sent } from "../outcomes.js";
import { withRenewal } from "../renewal.js";
import type { DocumentedResponse } from "../outcomes.js";
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
    documented: 'HTTP 404 with a JSON error (`{error: {…}}`, `{error: "…"}` or `{message}`)',
    outcome: "AccountNotFound",
    retryable: false,
    notes: "does not count toward the circuit breaker (unknown GSTINs cannot open it for everyone)",
    message: "The GST portal has no account for this GSTIN and username.",
  },
  {
    code: "404 other",
    documented:
      "HTTP 404 that is plainly a missing route (HTML, text, no body, or a JSON error naming the route or path)",
    outcome: "ProviderUnavailable",
    providerCode: "404",
    retryable: true,
    message: "The GST portal could not be reached. Please try again shortly.",
    notes:
      'the OTP path is wrong, not the GSTIN: counts toward the breaker; logged with "check GST_OTP_PATH"',
  },
  {
    code: "422",
    documented: "HTTP 422",
    outcome: "InvalidInput",
    retryable: false,
    message: "The GST portal could not process this GSTIN and username. Check them and try again.",
  },
  ...GST_LOGIN_RESPONSES,
] as const satisfies readonly DocumentedResponse[];

const WRONG_PATH = documentedRow(GST_RESPONSES, "404 other");

/**
 * Settings of the GST provider: `GST_BASE_URL`, `GST_OTP_PATH` (may hold `{patronId}`), and either
 * `GST_ACCESS_TOKEN` or `GST_API_USERNAME` with `GST_API_PASSWORD` (logging in at `GST_LOGIN_PATH`).
 */
export interface GstSettings {
  baseUrl: string;
  otpPath: string;
  loginPath: string;
  accessToken?: string;
  apiUsername?: string;
  apiPassword?: string;
}

/** The part of `GST_OTP_PATH` filled with the login's `userId`. */
export const PATRON_ID_PLACEHOLDER = "{patronId}";

/** Why GST settings cannot work together, one message each (the provider's variables are set). */
export function gstSettingsProblems(settings: GstSettings): string[] {
  const login = settings.apiUsername !== undefined || settings.apiPassword !== undefined;
  if (settings.accessToken !== undefined && login) {
    return ["GST_ACCESS_TOKEN, GST_API_USERNAME, GST_API_PASSWORD: set either the access token or the login"];
  }
  if (settings.accessToken === undefined && (!settings.apiUsername || !settings.apiPassword)) {
    return ["GST_ACCESS_TOKEN, or GST_API_USERNAME and GST_API_PASSWORD: required when GST is configured"];
  }
  if (settings.accessToken !== undefined && settings.otpPath.includes(PATRON_ID_PLACEHOLDER)) {
    return [
      "GST_OTP_PATH: {patronId} comes from the login, so it needs GST_API_USERNAME and GST_API_PASSWORD",
    ];
  }
  return [];
}

/** The GST adapter: validates `gst`, sends the documented request, maps the documented statuses. */
export function createGstAdapter(
  provider: ProviderBinding,
  settings: GstSettings,
  http: UpstreamClient,
  now?: () => number,
): ProviderAdapter<GstOtpFields, GstWireRequest> {
  const credentials: GstCredentials =
    settings.accessToken !== undefined
      ? fixedToken(settings.accessToken)
      : new GstLogin({
          url: joinUrl(settings.baseUrl, settings.loginPath),
          username: settings.apiUsername ?? "",
          password: settings.apiPassword ?? "",
          http,
          provider,
          ...(now && { now }),
        });
  return {
    parse: (input) => parseGstInput(provider, input),
    destination: ({ essentials: { gstin } }) => ({ key: gstin, hint: maskGstin(gstin) }),
    device: () => null,
    async send(request) {
      // A 401 means the token was refused and nothing was sent: one new login, one retry (the re-login hook).
      let path = "";
      const reply = await withRenewal(credentials, ({ token, patronId }) => {
        const called = settings.otpPath.replaceAll(PATRON_ID_PLACEHOLDER, encodeURIComponent(patronId ?? ""));
        path = called;
        return http.postJson({
          url: joinUrl(settings.baseUrl, called),
          headers: { authorization: token },
          json: request,
          outage: (answer) => isWrongPath(answer, called),
        });
      });
      if ("failure" in reply) return reply.failure;
      return settle(http, provider.id, reply, (answer) => mapGstResponse(provider, answer, path));
    },
  };
}

/** A GSTIN with only its state code and last 4 characters shown: `27*********F1ZV`. */
export function maskGstin(gstin: string): string {
  return maskId(gstin, 2, 4);
}

/**
 * A 404 that plainly says the path does not exist, so `GST_OTP_PATH` is wrong, not the GSTIN: a body that is not a
 * JSON object (HTML, text, none), or a JSON error that names a route or the path (Express's `Cannot POST /x`,
 * Fastify's `Route POST:/x not found`, Spring's `path`). Any other JSON error is the aggregator's own: the account
 * is not found, and it does not count toward the breaker.
 */
export function isWrongPath(reply: UpstreamReply, path?: string): boolean {
  if (reply.status !== 404) return false;
  const body = asRecord(reply.body);
  if (!body) return true;
  const error = asRecord(body.error);
  if (typeof body.path === "string" || typeof error?.path === "string") return true;
  const texts = [error?.message, body.error, body.message].filter((text) => typeof text === "string");
  return texts.some((text) => NO_ROUTE.test(text) || (path !== undefined && text.includes(path)));
}

/** A 404's body is a JSON error: `{ error: {…} }`, `{ error: "…" }` or `{ message: "…" }`. */
function isJsonError(reply: UpstreamReply): boolean {
  const body = asRecord(reply.body);
  return (
    asRecord(body?.error) !== undefined ||
    typeof body?.error === "string" ||
    typeof body?.message === "string"
  );
}

/** How web frameworks say no route handles a path (Express, LoopBack, Fastify, Spring, ...). */
const NO_ROUTE =
  /cannot (post|get)\b|no method to handle|route .*not found|no (handler|route)|unknown (path|route)/i;

/**
 * Map one reply of the GST provider to an outcome, by its documented HTTP status (and a 404 by its body); a 404
 * that says the path is wrong is noted, to be logged with a hint for operators.
 */
export function mapGstResponse(provider: ProviderBinding, reply: UpstreamReply, path?: string): Mapped {
  if (isWrongPath(reply, path)) {
    return noted(provider.failure(WRONG_PATH), {
      kind: "undocumented",
      hint: "a 404 that is not the aggregator's JSON error: check GST_OTP_PATH",
    });
  }
  if (reply.status === 404 && !isJsonError(reply)) return UNDOCUMENTED;
  const row = rowFor(GST_RESPONSES, String(reply.status));
  if (!row) return UNDOCUMENTED;
  if (row.outcome !== "OtpSent") return provider.failure(row);

  const result = asRecord(asRecord(reply.body)?.result);
  const appKey = result?.appKey;
  if (typeof appKey !== "string" || appKey.trim() === "") return UNDOCUMENTED;
  return sent({
    providerReference: appKey,
    providerMessage: providerText(reply, result?.message),
  });
}
