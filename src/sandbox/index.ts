import { PROVIDERS, type ProviderSettings } from "../providers/registry.js";
import { startFake, type RunningFake } from "./fake-server.js";

/** The built-in fakes, running on loopback, and the provider settings that point at them. */
export interface Sandbox {
  providers: ProviderSettings;
  close(): Promise<void>;
}

/** Start a loopback fake of every provider of the registry, with sandbox credentials. */
export async function startSandbox(): Promise<Sandbox> {
  const fakes: RunningFake[] = [];
  const providers: Record<string, unknown> = {};
  for (const provider of PROVIDERS) {
    const { id, sandbox } = provider;
    const fake = await startFake(sandbox.fake);
    fakes.push(fake);
    providers[id] = sandbox.settings(fake.url);
  }
  return {
    providers,
    close: async () => {
      await Promise.all(fakes.map((fake) => fake.close()));
    },
  };
}
