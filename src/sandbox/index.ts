import type { Config } from "../config.js";
import {
  HUMAN_VERIFIER_TEST_KEYS,
  SITEVERIFY_PATH,
  humanVerifierSandbox,
} from "../providers/human-verifier/sandbox.js";
import { PROVIDERS, type ProviderSettings } from "../providers/registry.js";
import { startFake, type RunningFake } from "./fake-server.js";

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

/** Start a loopback fake of every provider of the registry, with sandbox credentials, and of the human verifiers. */
export async function startSandbox(): Promise<Sandbox> {
  const fakes: RunningFake[] = [];
  const providers: Record<string, unknown> = {};
  for (const provider of PROVIDERS) {
    const { id, sandbox } = provider;
    const fake = await startFake(sandbox.fake);
    fakes.push(fake);
    providers[id] = sandbox.settings(fake.url);
  }
  const verifierFake = await startFake(humanVerifierSandbox);
  fakes.push(verifierFake);
  const humanVerifierUrl = `${verifierFake.url}${SITEVERIFY_PATH}`;
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
