import type { AddressInfo } from "node:net";
import { loadConfig, type Config } from "../../src/config.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { createApp, type App } from "../../src/server.js";

/** The subgraph listening on an ephemeral loopback port. */
export interface TestApp {
  url: string;
  app: App;
  config: Config;
  close(): Promise<void>;
}

/**
 * Start the subgraph as `npm start` would, from environment variables (sandbox when no provider is set),
 * on `127.0.0.1:0`.
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  let config = loadConfig({ LOG_LEVEL: "silent", ...env, PORT: "0", HOST: "127.0.0.1" });
  let sandbox: Sandbox | undefined;
  if (config.mode === "sandbox") {
    sandbox = await startSandbox();
    config = sandbox.configure(config);
  }
  const app = await createApp(config);
  await app.http.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.http.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    app,
    config,
    close: async () => {
      await app.close();
      await sandbox?.close();
    },
  };
}
