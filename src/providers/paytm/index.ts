/** The PAYTM provider: Paytm sign-in. */
import { z } from "zod";
import { text, url, variable } from "../../env.js";
import { defineProvider } from "../descriptor.js";
import { createPaytmAdapter, PAYTM_RESPONSES } from "./adapter.js";
import { PaytmOtpInput } from "./input.js";
import { paytmSandbox } from "./sandbox.js";

export const paytm = defineProvider({
  id: "PAYTM",
  description: "Paytm sign-in.",
  input: { member: "paytm", type: PaytmOtpInput, description: "Paytm sign-in." },
  settings: {
    PAYTM_BASE_URL: { field: "baseUrl", schema: url, description: "Paytm's base URL" },
    PAYTM_CLIENT_ID: { field: "clientId", schema: text, description: "the client id (Basic authorization)" },
    PAYTM_CLIENT_SECRET: {
      field: "clientSecret",
      schema: text,
      secret: true,
      description: "the client secret (Basic authorization)",
    },
    PAYTM_SCOPES: {
      field: "scopes",
      optional: true,
      description: "the scopes asked for, a comma list",
      schema: variable(z.string().default("paytm")).transform((scopes) =>
        scopes
          .split(",")
          .map((scope) => scope.trim())
          .filter(Boolean),
      ),
    },
  },
  createAdapter: createPaytmAdapter,
  responses: PAYTM_RESPONSES,
  sensitiveFields: ["phone", "stateToken", "state_token", "client_secret"],
  sandbox: paytmSandbox,
});
