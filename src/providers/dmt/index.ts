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
    DMT_BASE_URL: { field: "baseUrl", schema: url },
    DMT_CLIENT_ID: { field: "clientId", schema: text },
    DMT_CLIENT_SECRET: { field: "clientSecret", schema: text, secret: true },
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
