import type { ProviderSettings } from "../config.js";
import type { ProviderId } from "../otp/model.js";
import type { Adapters } from "../otp/request-otp.js";
import { createDmtAdapter } from "./dmt.js";
import { createGstAdapter } from "./gst.js";
import type { UpstreamClient } from "./http.js";
import { createItrAdapter } from "./itr.js";
import { createPaytmAdapter } from "./paytm.js";
import { createPhoneAdapter } from "./phone.js";

/**
 * One adapter for each provider that has settings; the others answer "not configured". Each gets a client of
 * its own from `clientFor`, so a breaker or an in-flight cap never spans two providers.
 */
export function createAdapters(
  settings: ProviderSettings,
  clientFor: (provider: ProviderId) => UpstreamClient,
): Adapters {
  return {
    ...(settings.GST && { GST: createGstAdapter(settings.GST, clientFor("GST")) }),
    ...(settings.ITR && { ITR: createItrAdapter(settings.ITR, clientFor("ITR")) }),
    ...(settings.DMT && { DMT: createDmtAdapter(settings.DMT, clientFor("DMT")) }),
    ...(settings.PAYTM && { PAYTM: createPaytmAdapter(settings.PAYTM, clientFor("PAYTM")) }),
    ...(settings.PHONE && { PHONE: createPhoneAdapter(settings.PHONE, clientFor("PHONE")) }),
  };
}
