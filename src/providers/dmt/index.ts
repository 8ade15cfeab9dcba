/** The DMT provider: iServeU DMT-lite (domestic money transfer). */
import { text, url } from "../../env.js";
import { defineProvider } from "../descriptor.js";
import { createDmtAdapter, DMT_RESPONSES } from "./adapter.js";
import { DmtOtpInput } from "./input.js";
import { dmtSandbox } from "./sandbox.js";

export const dmt = defineProvider({
  id: "DMT",
  description: "iServeU DMT-lite (domestic money transfer).",
  input: { member: "dmt", type: DmtOtpInput, description: "iServeU DMT-lite." },
  settings: {
    DMT_BASE_URL: { field: "baseUrl", schema: url, description: "iServeU's base URL" },
    DMT_CLIENT_ID: { field: "clientId", schema: text, description: "the `client_id` header" },
    DMT_CLIENT_SECRET: {
      field: "clientSecret",
      schema: text,
      secret: true,
      description: "the `client_secret` header",
    },
  },
  createAdapter: createDmtAdapter,
  responses: DMT_RESPONSES,
  sensitiveFields: [
    "customerMobileNumber",
    "username",
    "ovdData",
    "aadhaar",
    "aadhaarNumber",
    "client_secret",
  ],
  sandbox: dmtSandbox,
});
