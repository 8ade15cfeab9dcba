import type { ProviderSettings } from "../config.js";
import type { Adapters } from "../otp/request-otp.js";
import type { UpstreamClient } from "./http.js";
import { createPhoneAdapter } from "./phone.js";

/** One adapter for each provider that has settings; the others answer "not configured". */
export function createAdapters(settings: ProviderSettings, http: UpstreamClient): Adapters {
  return {
    ...(settings.PHONE && { PHONE: createPhoneAdapter(settings.PHONE, http) }),
  };
}
