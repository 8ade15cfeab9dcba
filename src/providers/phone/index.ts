/** The PHONE provider: a generic phone sign-in. */
import { url } from "../../env.js";
import { defineProvider } from "../descriptor.js";
import { createPhoneAdapter, PHONE_RESPONSES } from "./adapter.js";
import { PhoneOtpInput } from "./input.js";
import { phoneSandbox } from "./sandbox.js";

export const phone = defineProvider({
  id: "PHONE",
  description: "A generic phone sign-in provider.",
  input: { member: "phone", type: PhoneOtpInput, description: "The generic phone sign-in provider." },
  settings: { PHONE_BASE_URL: { field: "baseUrl", schema: url, description: "the provider's base URL" } },
  createAdapter: createPhoneAdapter,
  responses: PHONE_RESPONSES,
  providerCodeFrom: "provider's HTTP status",
  sensitiveFields: ["phone"],
  sandbox: () => phoneSandbox,
});
