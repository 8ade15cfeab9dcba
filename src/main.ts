import { startService, type Service } from "./bootstrap.js";
import { ConfigError } from "./config.js";
import { startupMessage } from "./startup-message.js";

/** Process entry: config → (sandbox) → server → signals. */
async function main(): Promise<void> {
  let service: Service;
  try {
    service = await startService();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Configuration error: ${error.message}\n`);
    process.exit(1);
  }
  const { app, config } = service;
  const address = await app.http.listen({ port: config.port, host: config.host });
  process.stdout.write(startupMessage(config, address));

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(
      `${signal}: refusing new requests, draining in-flight ones (up to ${config.shutdownDeadlineMs} ms)\n`,
    );
    // Closing cuts what still runs at the deadline; this is the backstop if releasing anything hangs.
    setTimeout(() => {
      process.stderr.write("shutdown: still closing after the deadline, exiting\n");
      process.exit(0);
    }, config.shutdownDeadlineMs + 2_000).unref();
    void service
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        process.stderr.write(`shutdown failed: ${String(error)}\n`);
        process.exit(1);
      });
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

await main();
