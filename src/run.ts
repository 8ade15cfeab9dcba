import { pino } from "pino";
import { startService, type Service } from "./bootstrap.js";
import { ConfigError } from "./config.js";
import { needsIdleRelease, releaseMemoryWhenIdle } from "./idle-memory.js";
import { createLogger, scrubBody } from "./log.js";
import { listenProblem, startupMessage } from "./startup-message.js";

/** The process, once `main.ts` has checked the runtime: config → (sandbox) → server → signals. */
async function main(): Promise<void> {
  // Log lines are written asynchronously: lines that arrive while a write is under way go out together in the
  // next one, rather than one blocking write(2) each (a twentieth of a request's time under load). A shutdown
  // waits for them (below); on any other exit what is still buffered is written synchronously, except a write
  // under way at that moment, which the system may finish or not.
  const logDestination = pino.destination({ dest: 1, sync: false });
  process.on("exit", () => {
    try {
      logDestination.flushSync();
    } catch {
      // Standard output is gone, or a write is under way: there is nothing more to do.
    }
  });
  let service: Service;
  try {
    service = await startService(process.env, { logDestination });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Configuration error: ${error.message}\n`);
    process.exit(1);
  }
  const { app, config } = service;
  let stopping = false;
  /** Stop taking requests, drain the ones in flight, then exit with `code` (0 for a signal, 1 after a crash). */
  const stop = (reason: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(
      `${reason}: refusing new requests, draining in-flight ones (up to ${config.shutdownDeadlineMs} ms)\n`,
    );
    // Closing cuts what still runs at the deadline; this is the backstop if releasing anything hangs.
    setTimeout(() => {
      process.stderr.write("shutdown: still closing after the deadline, exiting\n");
      process.exit(code);
    }, config.shutdownDeadlineMs + 2_000).unref();
    // Once every log line is written, the one under way included.
    const exit = (exitCode: number) => {
      logDestination.once("close", () => process.exit(exitCode));
      logDestination.end();
    };
    void service
      .close()
      .then(() => {
        exit(code);
      })
      .catch((error: unknown) => {
        process.stderr.write(`shutdown failed: ${String(error)}\n`);
        exit(1);
      });
  };
  // Before anything says the server is up: a signal that follows that line finds its handler.
  // (Not `stop` itself: Node passes the signal's number too, which would become the exit code.)
  process.on("SIGTERM", () => {
    stop("SIGTERM");
  });
  process.on("SIGINT", () => {
    stop("SIGINT");
  });
  // A bug that escapes every handler: logged (scrubbed like any line), then the same drain as a signal, exit 1.
  const logger = createLogger(config.logLevel, logDestination);
  const crash = (kind: "uncaughtException" | "unhandledRejection") => (reason: unknown) => {
    logger.fatal({ kind, err: scrubbedError(reason) }, "process error: shutting down");
    stop(kind, 1);
  };
  process.on("uncaughtException", crash("uncaughtException"));
  process.on("unhandledRejection", crash("unhandledRejection"));

  let address: string;
  try {
    address = await app.http.listen({ port: config.port, host: config.host });
  } catch (error) {
    const problem = listenProblem(error, config);
    if (problem === null) throw error;
    process.stderr.write(`${problem}\n`);
    await service.close().catch(() => undefined);
    process.exit(1);
  }
  // The process's own upkeep, not the server's: after a burst, the heap V8 grew for it goes back to the system.
  if (needsIdleRelease()) releaseMemoryWhenIdle();
  process.stdout.write(startupMessage(config, address));
  const capacity = await app.capacityLine();
  if (capacity !== null) process.stdout.write(capacity);
}

/** An escaped error as a log field: its name, message and stack, with personal data and secrets masked. */
function scrubbedError(reason: unknown): { name: string; message: string; stack?: string } {
  if (!(reason instanceof Error)) return { name: typeof reason, message: scrubBody(String(reason)) };
  return {
    name: reason.name,
    message: scrubBody(reason.message),
    ...(reason.stack && { stack: scrubBody(reason.stack, undefined, 4096) }),
  };
}

await main();
