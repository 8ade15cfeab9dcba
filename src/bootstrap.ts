/** Starting the service: configuration → sandbox (in sandbox mode) → application. `main.ts` and tests share it. */
import "reflect-metadata";
import { loadConfig, type Config } from "./config.js";
import { startSandbox } from "./sandbox/index.js";
import { createApp, type App, type AppOptions } from "./server.js";

/** The application with its configuration, and the sandbox it talks to in sandbox mode. */
export interface Service {
  app: App;
  /** The configuration, with the sandbox's provider settings in sandbox mode. */
  config: Config;
  /** Close the application (draining it), then the sandbox. */
  close(): Promise<void>;
}

/** Load the configuration from `environment` and build the application; throws `ConfigError` on a bad setting. */
export async function startService(
  environment: NodeJS.ProcessEnv = process.env,
  options: AppOptions = {},
): Promise<Service> {
  let config = loadConfig(environment);
  const sandbox = config.mode === "sandbox" ? await startSandbox() : undefined;
  // Read again, pointed at the sandbox's fakes (the same variables, so the same mode).
  if (sandbox) config = loadConfig(environment, sandbox);
  const app = await createApp(config, options);
  return {
    app,
    config,
    close: async () => {
      await app.close();
      await sandbox?.close();
    },
  };
}
