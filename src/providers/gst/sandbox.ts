/**
 * A fake of the GST portal's get-OTP request (the GSTR get-OTP document) with its documented behaviour only: 200 with `result.appKey`, or
 * 400, 401, 404, 422 by HTTP status. Like the real one it checks the method, the path, the access token in
 * `Authorization` and the body's shape; magic usernames reach each documented failure.
 */
import { randomBytes } from "node:crypto";
import { isValidGstin } from "../../otp/validators/gstin.js";
import type { FakeProvider, FakeResponse } from "../../sandbox/fake-server.js";
import type { ProviderSandbox } from "../descriptor.js";
import { asRecord } from "../outcomes.js";
import type { GstSettings } from "./adapter.js";
import type { GstOtpFields } from "./input.js";

/** The path and access token the sandbox's GST settings carry, and the fake expects. */
export const GST_SANDBOX_SETTINGS = {
  otpPath: "/gstr/otp",
  accessToken: "sandbox-gst-access-token",
} as const;

/** Usernames that reach each documented failure, with any valid GSTIN: `sandbox404` is answered with 404. */
export const GST_MAGIC_USERNAMES = {
  badRequest: "sandbox400",
  unauthorised: "sandbox401",
  notFound: "sandbox404",
  unprocessable: "sandbox422",
} as const;

/** A valid GSTIN for examples. */
export const GST_SANDBOX_GSTIN = "27AAPFU0939F1ZV";

const failure = (status: number, message: string): FakeResponse => ({ status, body: { message } });

const gstFake: FakeProvider = ({ method, path, headers, body }) => {
  if (method !== "POST" || path !== GST_SANDBOX_SETTINGS.otpPath) return failure(404, "not found");
  if (headers.authorization !== GST_SANDBOX_SETTINGS.accessToken) return failure(401, "unauthorised");
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
  }
  return {
    status: 200,
    body: {
      task: "getOtp",
      essentials: { gstin, username },
      id: GST_SANDBOX_SETTINGS.accessToken,
      patronId: "sandbox-patron",
      result: {
        message: "OTP sent to the mobile number registered on the GST portal",
        appKey: randomBytes(16).toString("hex"),
      },
    },
  };
};

/** The GST sandbox: the fake, settings pointing at it, and a username for each documented status. */
export const gstSandbox: ProviderSandbox<GstSettings, GstOtpFields> = {
  fake: gstFake,
  settings: (baseUrl) => ({ baseUrl, ...GST_SANDBOX_SETTINGS }),
  magic: {
    "200": { gstin: GST_SANDBOX_GSTIN, username: "taxpayer.one" },
    "400": { gstin: GST_SANDBOX_GSTIN, username: GST_MAGIC_USERNAMES.badRequest },
    "401": { gstin: GST_SANDBOX_GSTIN, username: GST_MAGIC_USERNAMES.unauthorised },
    "404": { gstin: GST_SANDBOX_GSTIN, username: GST_MAGIC_USERNAMES.notFound },
    "422": { gstin: GST_SANDBOX_GSTIN, username: GST_MAGIC_USERNAMES.unprocessable },
  },
};
