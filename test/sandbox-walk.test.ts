/**
 * The walk a newcomer takes: `npm start` with nothing configured, the start-up line, the README's curl, Apollo
 * Sandbox in a browser, `npm run example`. Commands run as written (through `sh`), against the subgraph on a free
 * loopback port instead of 4001.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestOtpDocument } from "./__generated__/graphql.js";
import { startTestApp, type TestApp } from "./helpers/app.js";
import { execute } from "./helpers/client.js";
import { MemoryStore } from "../src/otp/store/memory.js";
import { PHONE_MAGIC } from "../src/providers/phone/sandbox.js";
import { PROVIDER_IDS } from "../src/providers/registry.js";
import { startupMessage } from "../src/startup-message.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const README_ENDPOINT = "http://localhost:4001/graphql";

let subgraph: TestApp;
beforeAll(async () => {
  subgraph = await startTestApp();
});
afterAll(() => subgraph.close());

/** Run a shell command as a user pasting it would, with the README's endpoint swapped for the test's. */
async function shell(command: string, url = subgraph.url): Promise<unknown> {
  const { stdout } = await run("sh", ["-c", command.replaceAll(README_ENDPOINT, url)]);
  return JSON.parse(stdout) as unknown;
}

describe("the sandbox walk", () => {
  it("prints where GraphQL and Apollo Sandbox are, which limits were relaxed, and a curl that works", async () => {
    const message = startupMessage(subgraph.config, "http://0.0.0.0:4001");
    expect(message).toContain(`OTP subgraph (sandbox) listening on ${README_ENDPOINT}\n`);
    expect(message).toContain(`Apollo Sandbox: open ${README_ENDPOINT} in a browser`);
    expect(message).toContain("OTP_COOLDOWN_SECONDS=1, OTP_MAX_PER_DESTINATION_PER_HOUR=1000");
    const curl = /^ {2}try: (curl .*)$/m.exec(message)?.[1] ?? "";
    expect(await shell(curl)).toMatchObject({
      data: { requestOtp: { __typename: "OtpSent", challenge: { destinationHint: "********3210" } } },
    });
  });

  it("answers OtpSent to each provider's valid input in the README", async () => {
    const readme = await readFile(`${ROOT}/README.md`, "utf8");
    const rows = [...readme.matchAll(/^\| (\w+) \| `(\{"input".*\})` \|$/gm)];
    expect(rows.map((row) => row[1])).toEqual(PROVIDER_IDS);
    // A subgraph of its own (DMT, PAYTM and PHONE share a number with the other tests and with each other), on a
    // clock moved a minute between sends, past any cooldown.
    let now = Date.UTC(2026, 0, 1, 9, 0, 0);
    const own = await startTestApp({}, { store: new MemoryStore({ now: () => now }) });
    try {
      for (const [, provider, variables = ""] of rows) {
        const { body } = await execute(own.url, RequestOtpDocument, JSON.parse(variables) as never);
        expect(body.data?.requestOtp, provider).toMatchObject({ __typename: "OtpSent" });
        now += 60_000;
      }
    } finally {
      await own.close();
    }
  });

  it("says nothing of the sandbox in live mode, nor of Apollo Sandbox in production", () => {
    const live = { ...subgraph.config, mode: "live" as const, production: true, introspection: false };
    expect(startupMessage(live, "http://127.0.0.1:4001")).toBe(
      "OTP subgraph (live) listening on http://127.0.0.1:4001/graphql\n  bound to 127.0.0.1\n",
    );
    expect(startupMessage({ ...live, host: "0.0.0.0" }, "http://0.0.0.0:4001")).toContain(
      "  bound to 0.0.0.0 (every interface; HOST=127.0.0.1 or an address binds one)\n",
    );
  });

  it("answers the README's example, selecting every variant's fields, again and again", async () => {
    const readme = await readFile(`${ROOT}/README.md`, "utf8");
    const example = /## Example\s+```sh\n(curl [\s\S]*?)\n```/.exec(readme)?.[1] ?? "";
    for (const field of [
      "retryAfterSeconds limitedBy",
      "fieldErrors { field message }",
      "devOtp",
      "retryable",
    ]) {
      expect(example).toContain(field);
    }
    // A subgraph of its own (the start-up line's curl sent to the same number), on a clock that stands still: the
    // second send falls inside the 1 s sandbox cooldown however long the first took.
    const clock = Date.UTC(2026, 0, 1, 9, 0, 0);
    const fresh = await startTestApp({}, { store: new MemoryStore({ now: () => clock }) });
    try {
      expect(await shell(example, fresh.url)).toMatchObject({
        data: { requestOtp: { __typename: "OtpSent" } },
      });
      const again = (await shell(example, fresh.url)) as { data: { requestOtp: Record<string, unknown> } };
      expect(again.data.requestOtp).toMatchObject({
        __typename: "RateLimited",
        limitedBy: "LOCAL_POLICY",
        retryAfterSeconds: 1,
      });
    } finally {
      await fresh.close();
    }
  });

  it("lets one client IP send far more than the live caps (30 an hour) without being locked out", async () => {
    for (let suffix = 0; suffix < 40; suffix++) {
      const { body } = await execute(subgraph.url, RequestOtpDocument, {
        input: {
          phone: { phone: `+9198765${String(11_000 + suffix)}`, country: "IN", deviceId: "device-1" },
        },
      });
      expect(body.data?.requestOtp.__typename, `send ${suffix + 1}`).toBe("OtpSent");
    }
  });

  it('answers the corrected "Too many requests" of PHONE (a number ending 00430) with a 60 s wait', async () => {
    const { body } = await execute(subgraph.url, RequestOtpDocument, {
      input: {
        phone: { phone: `+9198765${PHONE_MAGIC.tooManyCorrected}`, country: "IN", deviceId: "device-1" },
      },
    });
    expect(body.data?.requestOtp).toMatchObject({
      __typename: "RateLimited",
      limitedBy: "PROVIDER",
      providerCode: "400",
      retryAfterSeconds: 60,
    });
  });

  it("serves Apollo Sandbox to a browser's GET", async () => {
    const response = await fetch(subgraph.url, { headers: { accept: "text/html" } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("embeddable-sandbox");
  });

  it("runs examples/ as written (`npm run example` after codegen) against the running subgraph", async () => {
    // A subgraph of its own: the example sends to the number the start-up line's curl sent to, and the sandbox
    // cooldown would answer RateLimited for a second after it.
    const own = await startTestApp();
    try {
      const { stdout } = await run(`${ROOT}/node_modules/.bin/tsx`, ["examples/try-it.ts", own.url], {
        cwd: ROOT,
      });
      expect(stdout).toMatch(/^OtpSent: \{"step":"enterOtp","challengeId":"[\w-]+","sentTo":"\*+3210"/);
    } finally {
      await own.close();
    }
  });
});
