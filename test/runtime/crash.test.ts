/**
 * A bug that escapes every handler, in the real process: an unhandled rejection or an uncaught exception is logged
 * (scrubbed), the process stops taking requests, lets the one in flight finish, and exits 1.
 */
import { spawn } from "node:child_process";
import type { ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { print } from "graphql";
import { afterEach, describe, expect, it } from "vitest";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { NO_LOCAL_LIMITS } from "../helpers/app.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** What the escaped error carries: a phone number and a token, which must not reach the log as they are. */
const LEAK = "9876512345";
const TOKEN = "tok3n5ecretvalue0123456789abcdef";

/** Loaded before the service: on SIGUSR2, a rejection nobody handles, or an exception nobody catches. */
const TRIGGER = `data:text/javascript,${encodeURIComponent(`
process.on("SIGUSR2", () => {
  const error = new Error("provider said ${LEAK} with access ${TOKEN}");
  if (process.env.CRASH_KIND === "exception") setImmediate(() => { throw error; });
  else void Promise.reject(error);
});
`)}`;

let upstream: Upstream | undefined;
afterEach(async () => {
  await upstream?.close();
});

describe.each(["rejection", "exception"])("an unhandled %s", (kind) => {
  it("is logged scrubbed, drains the request in flight, and ends the process with exit code 1", async () => {
    const processEvent = kind === "rejection" ? "unhandledRejection" : "uncaughtException";
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    upstream = await startUpstream(async (_request, res: ServerResponse) => {
      arrived();
      await released;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ success: true, message: "OTP sent" }));
    });
    const child = spawn(process.execPath, ["--import", "tsx", "--import", TRIGGER, "src/main.ts"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        ...NO_LOCAL_LIMITS,
        CRASH_KIND: kind,
        OTP_MODE: "live",
        OTP_ALLOW_NO_ROUTER_SECRET: "true",
        PHONE_BASE_URL: upstream.url,
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", () => {
        const match = /listening on (http:\/\/\S+\/graphql)/.exec(output);
        if (match?.[1]) resolve(match[1]);
      });
      void exit.then(() => {
        reject(new Error(`exited before listening:\n${output}`));
      });
    });

    const inFlight = fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: print(RequestOtpDocument),
        variables: { input: { phone: { phone: "+919876577002", country: "IN", deviceId: "crash-test" } } },
      }),
    });
    await requestArrived;
    child.kill("SIGUSR2");
    await new Promise<void>((resolve) => {
      const check = () => {
        if (output.includes(`${processEvent}: refusing new requests`)) {
          child.stdout.off("data", check);
          resolve();
        }
      };
      child.stdout.on("data", check);
      check();
    });
    release();
    const answer = (await (await inFlight).json()) as { data?: { requestOtp?: { __typename?: string } } };
    expect(answer.data?.requestOtp?.__typename).toBe("OtpSent");
    expect(await exit).toBe(1);

    const fatal = output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.msg === "process error: shutting down");
    expect(fatal).toMatchObject({
      level: 60,
      kind: processEvent,
      err: { name: "Error", message: expect.stringContaining("provider said ##########") as unknown },
    });
    expect(output).not.toContain(LEAK);
    expect(output).not.toContain(TOKEN);
  });
});
