/**
 * A fake of the GST aggregator with its documented behaviour only: its login (`{ username, password }` → `{ id,
 * ttl, created, userId }`, or 401 `{ error }`), and the GSTR get-OTP request (the GSTR get-OTP document): 200 with
 * `result.appKey`, or 400, 401, 404, 422 by HTTP status. Like the real one it checks the method, the path, the
 * token it issued in `Authorization` and the body's shape; magic usernames reach each documented failure, and one
 * a 404 from a path that does not exist.
 */
import { randomBytes } from "node:crypto";
import { isValidGstin } from "../../otp/validators/gstin.js";
import type { FakeProvider, FakeResponse } from "../../sandbox/fake-server.js";
import type { MagicInput, ProviderSandbox } from "../descriptor.js";
import { asRecord } from "../outcomes.js";
import type { GstSettings } from "./adapter.js";
import type { GstOtpFields } from "./input.js";

/** The paths and login the sandbox's GST settings carry, and the fake expects. */
export const GST_SANDBOX_SETTINGS = {
  otpPath: "/patrons/{patronId}/gstr/otp",
  loginPath: "/api/v2/patrons/login",
  apiUsername: "sandbox-gst-user",
  apiPassword: "sandbox-gst-password",
} as const;

/** The patron id the fake's login answers as `userId`. */
export const GST_SANDBOX_PATRON_ID = "sandbox-patron";

/** How long the fake's tokens live, in seconds (the 14 days aggregators usually give). */
export const GST_SANDBOX_TOKEN_TTL = 14 * 24 * 60 * 60;

/** Usernames that reach each documented failure, with any valid GSTIN: `sandbox404` is answered with 404. */
export const GST_MAGIC_USERNAMES = {
  badRequest: "sandbox400",
  unauthorised: "sandbox401",
  notFound: "sandbox404",
  unprocessable: "sandbox422",
  /** Answered as a web server answers a path it does not have: HTML `Cannot POST`, not the aggregator's error. */
  wrongPath: "sandbox404path",
} as const;

/** A valid GSTIN for examples. */
export const GST_SANDBOX_GSTIN = "27AAPFU0939F1ZV";

/**
 * The aggregator's JSON error. The document gives its failures by HTTP status only, with no body: the fake's is
 * plain (LoopBack's `{ error: { statusCode, name, message } }`, as aggregators on it answer).
 */
const failure = (status: number, message: string): FakeResponse => ({
  status,
  body: { error: { statusCode: status, name: "Error", message } },
});

const OTP_PATH = GST_SANDBOX_SETTINGS.otpPath.replace("{patronId}", GST_SANDBOX_PATRON_ID);

/** The fake: tokens it issued are good until their ttl; it keeps no more than the last thousand. */
export function createGstSandbox(now: () => number = Date.now): FakeProvider {
  const tokens = new Map<string, number>();
  const login = (body: unknown): FakeResponse => {
    const request = asRecord(body);
    if (
      request?.username !== GST_SANDBOX_SETTINGS.apiUsername ||
      request.password !== GST_SANDBOX_SETTINGS.apiPassword
    ) {
      return failure(401, "login failed");
    }
    const id = randomBytes(24).toString("base64url");
    tokens.set(id, now() + GST_SANDBOX_TOKEN_TTL * 1000);
    if (tokens.size > 1000) tokens.delete(tokens.keys().next().value ?? "");
    return {
      status: 200,
      body: {
        id,
        ttl: GST_SANDBOX_TOKEN_TTL,
        created: new Date(now()).toISOString(),
        userId: GST_SANDBOX_PATRON_ID,
      },
    };
  };
  return ({ method, path, headers, body }) => {
    if (method === "POST" && path === GST_SANDBOX_SETTINGS.loginPath) return login(body);
    if (method !== "POST" || path !== OTP_PATH) {
      return { status: 404, headers: { "content-type": "text/html" }, body: `Cannot ${method} ${path}` };
    }
    const token = headers.authorization ?? "";
    if ((tokens.get(token) ?? 0) <= now()) return failure(401, "unauthorised");
    const request = asRecord(body);
    const essentials = asRecord(request?.essentials);
    const gstin = essentials?.gstin;
    const username = essentials?.username;
    if (
      !headers["content-type"]?.startsWith("application/json") ||
      request?.task !== "getOtp" ||
      typeof gstin !== "string" ||
      typeof username !== "string" ||
      username === ""
    ) {
      return failure(400, "bad request");
    }
    if (!isValidGstin(gstin)) return failure(422, "processable entity");
    switch (username) {
      case GST_MAGIC_USERNAMES.badRequest:
        return failure(400, "bad request");
      case GST_MAGIC_USERNAMES.unauthorised:
        return failure(401, "unauthorised");
      case GST_MAGIC_USERNAMES.notFound:
        return failure(404, "not found");
      case GST_MAGIC_USERNAMES.unprocessable:
        return failure(422, "processable entity");
      case GST_MAGIC_USERNAMES.wrongPath:
        return { status: 404, headers: { "content-type": "text/html" }, body: `Cannot POST ${path}` };
    }
    return {
      status: 200,
      body: {
        task: "getOtp",
        essentials: { gstin, username },
        id: token,
        patronId: GST_SANDBOX_PATRON_ID,
        result: {
          message: "OTP sent to the mobile number registered on the GST portal",
          appKey: randomBytes(16).toString("hex"),
        },
      },
    };
  };
}

const withUsername = (username: string): MagicInput<GstOtpFields> => ({
  input: { gstin: GST_SANDBOX_GSTIN, username },
  description: `username \`${username}\``,
});

/**
 * The GST sandbox: the fake, settings that log in to it, and a username for each documented OTP-call row. The
 * login's refusal is not reachable by an input: the sandbox's settings always carry the credentials it accepts.
 */
export const gstSandbox: ProviderSandbox<GstSettings, GstOtpFields> = {
  fake: createGstSandbox(),
  settings: (baseUrl) => ({ baseUrl, ...GST_SANDBOX_SETTINGS }),
  magic: {
    "200": {
      input: { gstin: GST_SANDBOX_GSTIN, username: "taxpayer.one" },
      description: `any valid GSTIN, e.g. \`${GST_SANDBOX_GSTIN}\`, with any other username`,
      note: "appKey as providerReference; no `devOtp`: the document returns no OTP",
    },
    "400": withUsername(GST_MAGIC_USERNAMES.badRequest),
    "401": withUsername(GST_MAGIC_USERNAMES.unauthorised),
    "404": withUsername(GST_MAGIC_USERNAMES.notFound),
    "404 other": withUsername(GST_MAGIC_USERNAMES.wrongPath),
    "422": withUsername(GST_MAGIC_USERNAMES.unprocessable),
  },
  unreachable: {
    "login 401":
      "the sandbox's settings carry the credentials its login accepts (`test/providers/gst-login.test.ts` covers it)",
  },
};
