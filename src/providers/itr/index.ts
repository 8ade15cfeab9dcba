/** The ITR provider: the income-tax portal's OTP, through KwikID. */
import { text, url } from "../../env.js";
import { defineProvider } from "../descriptor.js";
import { createItrAdapter, ITR_RESPONSES } from "./adapter.js";
import { ItrOtpInput } from "./input.js";
import { itrSandbox } from "./sandbox.js";

export const itr = defineProvider({
  id: "ITR",
  description: "The income-tax portal, through KwikID.",
  input: { member: "itr", type: ItrOtpInput, description: "The income-tax portal, through KwikID." },
  settings: {
    ITR_BASE_URL: {
      field: "baseUrl",
      schema: url,
      description: "KwikID's base URL; use `https://`: the user's portal password is in the body",
    },
    ITR_API_TOKEN: { field: "apiToken", schema: text, secret: true, description: "KwikID's bearer token" },
  },
  createAdapter: createItrAdapter,
  responses: ITR_RESPONSES,
  sensitiveFields: ["pan", "password", "api_token"],
  sandbox: itrSandbox,
});
