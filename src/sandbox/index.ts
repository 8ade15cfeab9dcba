import type { Config, ProviderSettings } from "../config.js";
import { HUMAN_VERIFIER_TEST_KEYS, SITEVERIFY_PATH, humanVerifierSandbox } from "./human-verifier.js";
import { DMT_SANDBOX_CREDENTIALS, dmtSandbox } from "./dmt.js";
import { startFake, type RunningFake } from "./fake-server.js";
import { GST_SANDBOX_SETTINGS, gstSandbox } from "./gst.js";
import { ITR_SANDBOX_API_TOKEN, itrSandbox } from "./itr.js";
import { PAYTM_SANDBOX_CREDENTIALS, paytmSandbox } from "./paytm.js";
import { phoneSandbox } from "./phone.js";

/** The built-in fakes, running on loopback, and the provider settings that point at them. */
export interface Sandbox {
  providers: ProviderSettings;
  /** The fake siteverify URL of the human verifiers. */
  humanVerifierUrl: string;
  /**
   * `config` pointed at the fakes: the providers, and the human verifier (the fake, with the verifier's
   * documented always-pass test keys unless the configuration names others).
   */
  configure(config: Config): Config;
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
  const humanVerifierUrl = `${await start(humanVerifierSandbox)}${SITEVERIFY_PATH}`;
  return {
    providers,
    humanVerifierUrl,
    configure: (config) => {
      const verifier = config.humanVerification.verifier;
      const keys = verifier && HUMAN_VERIFIER_TEST_KEYS[verifier.kind];
      return {
        ...config,
        providers,
        humanVerification: {
          ...config.humanVerification,
          verifier: verifier && {
            ...verifier,
            secret: verifier.secret ?? keys?.passSecret ?? null,
            siteKey: verifier.siteKey ?? keys?.siteKey ?? null,
            url: verifier.url ?? humanVerifierUrl,
          },
        },
      };
    },
    close: async () => {
      await Promise.all(fakes.map((fake) => fake.close()));
    },
  };
}
