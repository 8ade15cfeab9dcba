/** What `npm start` says when it cannot start: one line naming the setting, exit code 1, no stack. */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { memoryCapacityLine } from "../../src/otp/memory-capacity.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The entry as the tests run it (tsx instead of a build), with `env` only; its exit code and output. */
function start(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOST: "127.0.0.1", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) =>
    child.on("exit", (code) => {
      resolve({ code, stdout, stderr });
    }),
  );
}

describe("start-up refusals", () => {
  let taken: Server;
  let port: number;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    port = (taken.address() as AddressInfo).port;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) =>
        taken.close(() => {
          resolve();
        }),
      ),
  );

  it("a taken port: one line naming PORT", async () => {
    const { code, stdout, stderr } = await start({ PORT: String(port) });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      `PORT ${String(port)} is taken (127.0.0.1:${String(port)} is in use): stop what listens there, or set PORT to a free port (e.g. PORT=4002).\n`,
    );
  });

  it("PORT=abc, and every other bad value: one line saying what each must be, in our words", async () => {
    const { code, stdout, stderr } = await start({
      PORT: "abc",
      OTP_MODE: "demo",
      OTP_COOLDOWN_SECONDS: "-1",
      INTROSPECTION: "maybe",
    });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      "Configuration error: PORT: must be a whole number from 0 to 65535; OTP_MODE: must be one of sandbox, live; " +
        "OTP_COOLDOWN_SECONDS: must be a whole number, 0 or more; INTROSPECTION: must be true or false (or 1 or 0)\n",
    );
  });
});

describe("start-up lines", () => {
  it("after the start-up message, the memory store's line: what its bound keeps", async () => {
    const env = { PORT: "0", OTP_MEMORY_MAX_MB: "1" };
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOST: "127.0.0.1", LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    const line = await new Promise<string | undefined>((resolve) => {
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        const found = stdout.split("\n").find((text) => text.startsWith("memory store: "));
        if (found !== undefined) resolve(found);
      });
      child.on("exit", () => {
        resolve(undefined);
      });
    });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    child.kill("SIGTERM");
    await exited;
    expect(stdout.indexOf("OTP subgraph (sandbox) listening on")).toBe(0);
    expect(`${String(line)}\n`).toBe(await memoryCapacityLine(1, loadConfig(env).limits));
  });
});
