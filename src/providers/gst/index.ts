/** The GST provider: the GST portal's GSTR OTP, through a verification aggregator. */
import { text, url, variable } from "../../env.js";
import { z } from "zod";
import { defineProvider } from "../descriptor.js";
import { createGstAdapter, GST_RESPONSES, gstSettingsProblems } from "./adapter.js";
import { GstOtpInput } from "./input.js";
import { gstSandbox } from "./sandbox.js";

export const gst = defineProvider({
  id: "GST",
  description: "The GST portal (GSTR), through a verification aggregator.",
  input: { member: "gst", type: GstOtpInput, description: "The GST portal." },
  settings: {
    GST_BASE_URL: { field: "baseUrl", schema: url, description: "the verification aggregator's base URL" },
    GST_OTP_PATH: {
      field: "otpPath",
      schema: variable(z.string().startsWith("/", "must start with /").optional()),
      description: "the GSTR get-OTP path (the document gives none); with a login it may hold `{patronId}`",
    },
    GST_LOGIN_PATH: {
      field: "loginPath",
      schema: variable(z.string().startsWith("/", "must start with /").default("/api/v2/patrons/login")),
      optional: true,
      description: "where the login is POSTed",
    },
    // A fixed token, or a login; `checkSettings` wants exactly one of them.
    GST_ACCESS_TOKEN: {
      field: "accessToken",
      schema: text,
      secret: true,
      optional: true,
      description: "a fixed access token, or else a login with the two below",
    },
    GST_API_USERNAME: {
      field: "apiUsername",
      schema: text,
      secret: true,
      optional: true,
      description:
        "the login's username; each replica logs in and holds its own token ([GST: logging in](providers.md#gst-logging-in))",
    },
    GST_API_PASSWORD: {
      field: "apiPassword",
      schema: text,
      secret: true,
      optional: true,
      description: "the login's password",
    },
  },
  checkSettings: gstSettingsProblems,
  createAdapter: (provider, settings, http) => createGstAdapter(provider, settings, http),
  responses: GST_RESPONSES,
  sensitiveFields: ["gstin", "username", "password", "access_token"],
  // A 200 reply echoes the access token as `id`; the login answers it as `id` too, with the patron's `userId`.
  sensitiveReplyFields: ["id", "patronId", "userId"],
  sandbox: () => gstSandbox,
});
