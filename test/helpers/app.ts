import type { AddressInfo } from "node:net";
import { afterAll, beforeAll } from "vitest";
import type { App, AppOptions } from "../../src/server.js";
import { startService } from "../../src/bootstrap.js";
import type { Config } from "../../src/config.js";

/** Local limits off: suites that count what reaches upstreams, not what the limits answer. */
export const NO_LOCAL_LIMITS = {
  OTP_COOLDOWN_SECONDS: "0",
  OTP_MAX_PER_DESTINATION_PER_HOUR: "0",
  OTP_MAX_PER_DEVICE_PER_HOUR: "0",
  OTP_MAX_PER_IP_PER_HOUR: "0",
  OTP_MAX_PER_RANGE_PER_HOUR: "0",
};

/** The subgraph listening on an ephemeral loopback port. */
export interface TestApp {
  /** The GraphQL endpoint. */
  url: string;
  /** The server's origin, for `/metrics` and the probes. */
  origin: string;
  app: App;
  config: Config;
  close(): Promise<void>;
}

/** The subgraph (`startTestApp(env)`), started before the calling suite's tests and closed after them. */
export function useTestApp(env: Record<string, string> = {}): { readonly url: string } {
  let subgraph: TestApp | undefined;
  beforeAll(async () => {
    subgraph = await startTestApp(env);
  });
  afterAll(() => subgraph?.close());
  return {
    get url() {
      if (!subgraph) throw new Error("the subgraph starts in beforeAll");
      return subgraph.url;
    },
  };
}

/**
 * Start the subgraph as `npm start` would (`src/bootstrap.ts`), from environment variables (sandbox when no
 * provider is set), on `127.0.0.1:0`, without a router secret unless `env` gives one.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: AppOptions = {},
): Promise<TestApp> {
  // Live mode requires a router secret, as production does: tests that are not about it opt out.
  const service = await startService(
    { LOG_LEVEL: "silent", OTP_ALLOW_NO_ROUTER_SECRET: "true", ...env, PORT: "0", HOST: "127.0.0.1" },
    options,
  );
  await service.app.http.listen({ port: 0, host: "127.0.0.1" });
  const { port } = service.app.http.server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/graphql`,
    origin,
    app: service.app,
    config: service.config,
    close: () => service.close(),
  };
}
