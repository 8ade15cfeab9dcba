import { spawn, type ChildProcess } from "node:child_process";
import { NO_LOCAL_LIMITS } from "../helpers/app.js";
import type { ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { print } from "graphql";
import { afterEach, describe, expect, it } from "vitest";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { ok, startFaultServer, type FaultServer } from "./fault-server.js";
import { within } from "./within.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

interface Running {
  child: ChildProcess;
  url: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

/** The real process, as `npm start` runs it (through tsx instead of a build), on an ephemeral port. */
async function startProcess(env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      OTP_ALLOW_NO_ROUTER_SECRET: "true",
      ...NO_LOCAL_LIMITS,
      ...env,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => {
      resolve({ code, signal });
    });
  });
  const url = await within(
    15_000,
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const match = /listening on (http:\/\/\S+)\/graphql/.exec(output);
        if (match?.[1]) resolve(`${match[1]}/graphql`);
      };
      child.stdout.on("data", check);
      void exit.then(() => {
        reject(new Error(`exited before listening:\n${output}`));
      });
    }),
  );
  return { child, url, exit, output: () => output };
}

function requestOtp(url: string, phone: string) {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query: print(RequestOtpDocument),
      variables: { input: { phone: { phone, country: "IN", deviceId: "device-shutdown" } } },
    }),
  });
}

async function until(condition: () => boolean, withinMs = 5_000) {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("SIGTERM", () => {
  it("during a slow upstream call: the call completes, new requests are refused, the process exits 0", async () => {
    const held: ServerResponse[] = [];
    const upstream: FaultServer = await startFaultServer((res) => held.push(res));
    cleanups.push(() => upstream.close());
    const running = await startProcess({ PHONE_BASE_URL: upstream.url, OTP_PROVIDER_TIMEOUT_MS: "8000" });
    cleanups.push(() => running.child.kill("SIGKILL"));

    const inFlight = requestOtp(running.url, "+919876543210");
    await until(() => held.length === 1);
    running.child.kill("SIGTERM");
    await until(() => running.output().includes("SIGTERM"));

    const refused = await requestOtp(running.url, "+919876543211").then(
      (response) => `HTTP ${String(response.status)}`,
      (error: unknown) => `rejected: ${String((error as Error).cause ?? error)}`,
    );
    expect(refused).toMatch(/ECONNREFUSED|HTTP 503/);
    expect(upstream.requests).toHaveLength(1);

    for (const res of held.splice(0)) ok(res, res.req, "");
    const response = await within(5_000, inFlight);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { requestOtp: { __typename: string } } };
    expect(body.data.requestOtp.__typename).toBe("OtpSent");

    expect(await within(5_000, running.exit)).toEqual({ code: 0, signal: null });
  });

  it("with nothing in flight, exits without waiting for the drain deadline", async () => {
    const upstream: FaultServer = await startFaultServer(() => undefined);
    cleanups.push(() => upstream.close());
    const running = await startProcess({ PHONE_BASE_URL: upstream.url, OTP_SHUTDOWN_DEADLINE_MS: "60000" });
    cleanups.push(() => running.child.kill("SIGKILL"));

    running.child.kill("SIGTERM");
    // Apollo Server's own SIGTERM handler once raced ours and held every shutdown until the deadline.
    expect(await within(15_000, running.exit)).toEqual({ code: 0, signal: null });
    expect(running.output()).not.toContain("shutdown deadline reached");
  });

  it("drains only up to the deadline: a call still running then loses its connection, and the process exits 0", async () => {
    const upstream: FaultServer = await startFaultServer(() => undefined);
    cleanups.push(() => upstream.close());
    const running = await startProcess({
      PHONE_BASE_URL: upstream.url,
      OTP_PROVIDER_TIMEOUT_MS: "60000",
      OTP_SHUTDOWN_DEADLINE_MS: "300",
    });
    cleanups.push(() => running.child.kill("SIGKILL"));

    const inFlight = requestOtp(running.url, "+919876543212").then(
      (response) => `HTTP ${String(response.status)}`,
      () => "connection closed",
    );
    await until(() => upstream.requests.length === 1);
    running.child.kill("SIGTERM");

    expect(await within(5_000, running.exit)).toEqual({ code: 0, signal: null });
    expect(await within(1_000, inFlight)).toBe("connection closed");
    expect(running.output()).toContain("shutdown deadline reached");
  });
});
