/**
 * The human verifier's siteverify client against a real loopback verifier: a genuine token is taken only when the
 * answer's hostname, action and score are the ones configured; a check is sent once, never retried; the token and
 * the secret never reach a log line.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ProofExpectations } from "../../src/otp/human-verification.js";
import { UpstreamClient } from "../../src/providers/http-client.js";
import { createHumanVerifier } from "../../src/providers/human-verifier/verifier.js";
import { json, startUpstream, type Upstream } from "../helpers/upstream.js";

const SECRET = "0x4AAAAAAAlive-secret-of-the-widget";
const TOKEN = "0.token-from-the-widget.abcdef";
const NO_CHECKS: ProofExpectations = { hostnames: null, action: null, minScore: null };
const CHECKS: ProofExpectations = {
  hostnames: new Set(["app.example.com", "www.example.com"]),
  action: "otp-request",
  minScore: 0.5,
};
/** What the verifiers answer for a genuine token (Turnstile's and reCAPTCHA v3's fields). */
const genuine = (fields: Record<string, unknown>) => ({
  success: true,
  "error-codes": [],
  challenge_ts: "2026-12-02T07:00:00Z",
  ...fields,
});

let verifier: Upstream;
const logged: { level: "info" | "warn"; fields: Record<string, unknown>; message: string }[] = [];
const logger = {
  info: (fields: Record<string, unknown>, message: string) => logged.push({ level: "info", fields, message }),
  warn: (fields: Record<string, unknown>, message: string) => logged.push({ level: "warn", fields, message }),
};
beforeAll(async () => {
  verifier = await startUpstream();
});
afterAll(() => verifier.close());
beforeEach(() => {
  verifier.requests.length = 0;
  logged.length = 0;
});

const check = (expected: ProofExpectations, timeoutMs = 2000) =>
  createHumanVerifier(
    {
      kind: "RECAPTCHA",
      secret: SECRET,
      siteKey: "site-key",
      url: `${verifier.url}/siteverify`,
      ...expected,
    },
    new UpstreamClient({ timeoutMs, maxBodyBytes: 16 * 1024 }),
    logger,
  ).verify(TOKEN, "198.51.100.1");

describe("the expected hostname, action and score", () => {
  it.each([
    ["all three as configured", { hostname: "app.example.com", action: "otp-request", score: 0.9 }],
    ["a hostname in another case", { hostname: "WWW.Example.com", action: "otp-request", score: 0.5 }],
  ])("passes a genuine token with %s", async (_name, answer) => {
    verifier.respond(json(200, genuine(answer)));
    expect(await check(CHECKS)).toBe("passed");
    expect(logged).toEqual([]);
  });

  it("checks nothing beyond success when none is configured", async () => {
    verifier.respond(json(200, genuine({ hostname: "anywhere.example.net" })));
    expect(await check(NO_CHECKS)).toBe("passed");
  });

  it.each([
    [
      "solved on another site",
      { hostname: "attacker.example.net", action: "otp-request", score: 0.9 },
      "warn",
      {
        check: "hostname",
        expected: ["app.example.com", "www.example.com"],
        received: "attacker.example.net",
      },
    ],
    [
      "with no hostname (an app's token)",
      { apk_package_name: "com.example.app", action: "otp-request", score: 0.9 },
      "warn",
      { check: "hostname", received: null },
    ],
    [
      "made for another action (the sign-up widget)",
      { hostname: "app.example.com", action: "signup", score: 0.9 },
      "warn",
      { check: "action", expected: "otp-request", received: "signup" },
    ],
    [
      "with a low score",
      { hostname: "app.example.com", action: "otp-request", score: 0.1 },
      "info",
      { check: "score", expected: 0.5, received: 0.1 },
    ],
    [
      "with no score (a reCAPTCHA v2 key)",
      { hostname: "app.example.com", action: "otp-request" },
      "warn",
      { check: "score", received: null },
    ],
  ])("rejects a genuine token %s, logging which check failed", async (_name, answer, level, fields) => {
    verifier.respond(json(200, genuine(answer)));
    expect(await check(CHECKS)).toBe("failed");
    expect(logged).toEqual([
      {
        level,
        fields: expect.objectContaining({ verifier: "RECAPTCHA", ...fields }) as unknown,
        message: expect.stringMatching(/^human proof rejected/) as unknown,
      },
    ]);
  });

  it("logs a value the verifier answered only when it is short and plain", async () => {
    verifier.respond(json(200, genuine({ hostname: `${"x".repeat(80)}.example.net` })));
    expect(await check({ ...NO_CHECKS, hostnames: new Set(["app.example.com"]) })).toBe("failed");
    expect(logged[0]?.fields).toMatchObject({ check: "hostname", received: null });
  });

  it("never puts the token or the secret in a log line, whatever the verifier echoes", async () => {
    verifier.respond(json(200, genuine({ hostname: TOKEN, action: SECRET, score: 0 })));
    expect(await check(CHECKS)).toBe("failed");
    verifier.respond(json(200, { success: false, "error-codes": ["invalid-input-secret"], echo: SECRET }));
    expect(await check(CHECKS)).toBe("unavailable");
    const text = JSON.stringify(logged);
    expect(logged).toHaveLength(2);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(SECRET);
  });
});

describe("a token is checked once", () => {
  it("sends the check once when the verifier cuts the connection after reading it", async () => {
    verifier.respond((_request, _res, req) => {
      req.socket.destroy();
    });
    expect(await check(NO_CHECKS)).toBe("unavailable");
    expect(verifier.requests).toHaveLength(1);
  });

  it("sends the check once when the verifier does not answer in time", async () => {
    verifier.respond(() => undefined);
    expect(await check(NO_CHECKS, 200)).toBe("unavailable");
    expect(verifier.requests).toHaveLength(1);
  });

  it("sends no idempotency_key, so a spent token cannot be checked again under one", async () => {
    verifier.respond(json(200, genuine({})));
    await check(NO_CHECKS);
    expect([...new URLSearchParams(verifier.requests[0]?.text).keys()]).toEqual([
      "secret",
      "response",
      "remoteip",
    ]);
  });
});
