import type { SandboxEndpoints } from "../config.js";
import { SITEVERIFY_PATH, humanVerifierSandbox } from "../providers/human-verifier/sandbox.js";
import { PROVIDERS } from "../providers/registry.js";
import { startFake, type RunningFake } from "./fake-server.js";

/**
 * The built-in fakes, running on loopback, and the provider settings that point at them (`loadConfig` points the
 * configuration at them).
 */
export interface Sandbox extends SandboxEndpoints {
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
    close: async () => {
      await Promise.all(fakes.map((fake) => fake.close()));
    },
  };
}
