import type { ProviderSettings } from "../config.js";
import type { Adapters } from "../otp/request-otp.js";
import { createDmtAdapter } from "./dmt.js";
import { createGstAdapter } from "./gst.js";
import type { UpstreamClient } from "./http.js";
import { createItrAdapter } from "./itr.js";
import { createPaytmAdapter } from "./paytm.js";
import { createPhoneAdapter } from "./phone.js";

/** One adapter for each provider that has settings; the others answer "not configured". */
export function createAdapters(settings: ProviderSettings, http: UpstreamClient): Adapters {
  return {
    ...(settings.GST && { GST: createGstAdapter(settings.GST, http) }),
    ...(settings.ITR && { ITR: createItrAdapter(settings.ITR, http) }),
    ...(settings.DMT && { DMT: createDmtAdapter(settings.DMT, http) }),
    ...(settings.PAYTM && { PAYTM: createPaytmAdapter(settings.PAYTM, http) }),
    ...(settings.PHONE && { PHONE: createPhoneAdapter(settings.PHONE, http) }),
  };
}
