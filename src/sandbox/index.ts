import type { ProviderSettings } from "../config.js";
import { DMT_SANDBOX_CREDENTIALS, dmtSandbox } from "./dmt.js";
import { startFake, type RunningFake } from "./fake-server.js";
import { GST_SANDBOX_SETTINGS, gstSandbox } from "./gst.js";
import { ITR_SANDBOX_API_TOKEN, itrSandbox } from "./itr.js";
import { PAYTM_SANDBOX_CREDENTIALS, paytmSandbox } from "./paytm.js";
import { phoneSandbox } from "./phone.js";

/** The built-in fakes, running on loopback, and the provider settings that point at them. */
export interface Sandbox {
  providers: ProviderSettings;
  close(): Promise<void>;
}

/** Start a loopback fake of every provider, with sandbox credentials. */
export async function startSandbox(): Promise<Sandbox> {
  const fakes: RunningFake[] = [];
  const start = async (handler: Parameters<typeof startFake>[0]) => {
    const fake = await startFake(handler);
    fakes.push(fake);
    return fake.url;
  };
  const providers: ProviderSettings = {
    GST: { baseUrl: await start(gstSandbox), ...GST_SANDBOX_SETTINGS },
    ITR: { baseUrl: await start(itrSandbox), apiToken: ITR_SANDBOX_API_TOKEN },
    DMT: { baseUrl: await start(dmtSandbox), ...DMT_SANDBOX_CREDENTIALS },
    PAYTM: {
      baseUrl: await start(paytmSandbox),
      ...PAYTM_SANDBOX_CREDENTIALS,
      scopes: [...PAYTM_SANDBOX_CREDENTIALS.scopes],
    },
    PHONE: { baseUrl: await start(phoneSandbox) },
  };
  return {
    providers,
    close: async () => {
      await Promise.all(fakes.map((fake) => fake.close()));
    },
  };
}
