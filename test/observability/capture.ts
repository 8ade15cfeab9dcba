import type { AppOptions } from "../../src/server.js";
import { startTestApp, type TestApp } from "../helpers/app.js";

/** One JSON log line as written. */
export type LogLine = Record<string, unknown> & { msg?: string; level: number };

/** The subgraph on an ephemeral loopback port, with every log line it writes kept in memory. */
export interface CapturedApp extends TestApp {
  /** Every line written, raw, as the process would print it. */
  raw: string[];
  /** Every line written, parsed. */
  lines(): LogLine[];
  /** The `requestOtp` lines. */
  requestLines(): LogLine[];
  close(): Promise<void>;
}

/** Start the app as `startTestApp` does (sandbox when no provider is set), its logs going to memory. */
export async function startCapturedApp(
  env: Record<string, string> = {},
  options: Omit<AppOptions, "logDestination"> = {},
): Promise<CapturedApp> {
  const raw: string[] = [];
  const started = await startTestApp(
    { LOG_LEVEL: "info", ...env },
    {
      ...options,
      logDestination: {
        write: (line: string) => {
          raw.push(line);
        },
      },
    },
  );
  const lines = () => raw.map((line) => JSON.parse(line) as LogLine);
  return {
    ...started,
    raw,
    lines,
    requestLines: () => lines().filter((line) => line.msg === "requestOtp"),
  };
}
