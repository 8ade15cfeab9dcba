/** The GST provider: the GST portal's GSTR OTP, through a verification aggregator. */
import { text, url, variable } from "../../env.js";
import { z } from "zod";
import { defineProvider } from "../descriptor.js";
import { createGstAdapter, GST_RESPONSES } from "./adapter.js";
import { GstOtpInput } from "./input.js";
import { gstSandbox } from "./sandbox.js";

export const gst = defineProvider({
  id: "GST",
  description: "The GST portal (GSTR), through a verification aggregator.",
  input: { member: "gst", type: GstOtpInput, description: "The GST portal." },
  settings: {
    GST_BASE_URL: { field: "baseUrl", schema: url },
    GST_OTP_PATH: {
      field: "otpPath",
      schema: variable(z.string().startsWith("/", "must start with /").optional()),
    },
    GST_ACCESS_TOKEN: { field: "accessToken", schema: text, secret: true },
  },
  createAdapter: createGstAdapter,
  responses: GST_RESPONSES,
  sensitiveFields: ["gstin", "username", "access_token"],
  // A 200 reply echoes the access token as `id`.
  sensitiveReplyFields: ["id", "patronId"],
  sandbox: gstSandbox,
});
