import type { AddressInfo } from "node:net";
import { loadConfig, type Config } from "../../src/config.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { createApp, type App, type AppOptions } from "../../src/server.js";

/** One JSON log line as written. */
export type LogLine = Record<string, unknown> & { msg?: string; level: number };

/** The subgraph on an ephemeral loopback port, with every log line it writes kept in memory. */
export interface CapturedApp {
  /** The GraphQL endpoint. */
  url: string;
  /** The server's origin, for `/metrics` and the probes. */
  origin: string;
  app: App;
  config: Config;
  /** Every line written, raw, as the process would print it. */
  raw: string[];
  /** Every line written, parsed. */
  lines(): LogLine[];
  /** The `requestOtp` lines. */
  requestLines(): LogLine[];
  close(): Promise<void>;
}

/** Local limits off: these suites count what reaches upstreams, not what the limits answer. */
export const NO_LOCAL_LIMITS = {
  OTP_COOLDOWN_SECONDS: "0",
  OTP_MAX_PER_DESTINATION_PER_HOUR: "0",
  OTP_MAX_PER_DEVICE_PER_HOUR: "0",
  OTP_MAX_PER_IP_PER_HOUR: "0",
};

/** Start the app as `startTestApp` does (sandbox when no provider is set), its logs going to memory. */
export async function startCapturedApp(
  env: Record<string, string> = {},
  options: Omit<AppOptions, "logDestination"> = {},
): Promise<CapturedApp> {
  let config = loadConfig({ LOG_LEVEL: "info", ...env, PORT: "0", HOST: "127.0.0.1" });
  let sandbox: Sandbox | undefined;
  if (config.mode === "sandbox") {
    sandbox = await startSandbox();
    config = { ...config, providers: sandbox.providers };
  }
  const raw: string[] = [];
  const app = await createApp(config, {
    ...options,
    logDestination: {
      write: (line: string) => {
        raw.push(line);
      },
    },
  });
  await app.http.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.http.server.address() as AddressInfo;
  const lines = () => raw.map((line) => JSON.parse(line) as LogLine);
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    origin: `http://127.0.0.1:${port}`,
    app,
    config,
    raw,
    lines,
    requestLines: () => lines().filter((line) => line.msg === "requestOtp"),
    close: async () => {
      await app.close();
      await sandbox?.close();
    },
  };
}
