/**
 * GST's login (`GST_API_USERNAME`, `GST_API_PASSWORD`) against a loopback fake aggregator that issues, expires and
 * refuses tokens and counts its logins, and GST's 404s told apart by their body.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { loadConfig } from "../../src/config.js";
import { createGstAdapter, type GstWireRequest } from "../../src/providers/gst/adapter.js";
import { UpstreamClient } from "../../src/providers/http-client.js";
import { startCapturedApp, type CapturedApp } from "../observability/capture.js";
import { execute } from "../helpers/client.js";
import { startUpstream, type RecordedRequest, type Upstream } from "../helpers/upstream.js";
import { gst as gstProvider } from "../../src/providers/gst/index.js";

const USERNAME = "aggregator-login@example.com";
const PASSWORD = "p4ss-w0rd-under-test";
const LOGIN_PATH = "/api/v2/patrons/login";
const OTP_PATH = "/api/v2/patrons/{patronId}/gstr/otp";
const TTL_SECONDS = 14 * 24 * 60 * 60;
const INPUT = { gstin: "27AAPFU0939F1ZV", username: "taxpayer.one" };
const NO_LOCAL_LIMITS = {
  OTP_COOLDOWN_SECONDS: "0",
  OTP_MAX_PER_DESTINATION_PER_HOUR: "0",
  OTP_MAX_PER_DEVICE_PER_HOUR: "0",
  OTP_MAX_PER_IP_PER_HOUR: "0",
};

/** A fake aggregator: LoopBack-style login and errors, tokens it can expire or revoke, logins counted. */
class FakeAggregator {
  readonly tokens = new Set<string>();
  logins = 0;
  otpCalls = 0;
  loginDelayMs = 0;
  password = PASSWORD;
  /** The next OTP answers, in order; a 200 with an appKey once they run out. */
  otpAnswers: { status: number; body: unknown; contentType?: string }[] = [];

  handle = async (request: RecordedRequest, res: import("node:http").ServerResponse) => {
    const send = (status: number, body: unknown, contentType = "application/json") => {
      res.writeHead(status, { "content-type": contentType });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    if (request.url === LOGIN_PATH) {
      this.logins++;
      if (this.loginDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.loginDelayMs));
      const body = request.json as { username?: string; password?: string };
      if (body.username !== USERNAME || body.password !== this.password) {
        send(401, {
          error: { statusCode: 401, name: "Error", message: "login failed", code: "LOGIN_FAILED" },
        });
        return;
      }
      const id = `token-${this.logins}-${Math.random().toString(36).slice(2)}`;
      this.tokens.add(id);
      send(200, { id, ttl: TTL_SECONDS, created: new Date().toISOString(), userId: 42 });
      return;
    }
    if (request.url === "/api/v2/patrons/42/gstr/otp") {
      this.otpCalls++;
      if (!this.tokens.has(String(request.headers.authorization))) {
        send(401, { error: { statusCode: 401, name: "Error", message: "Authorization Required" } });
        return;
      }
      const next = this.otpAnswers.shift();
      if (next) {
        send(next.status, next.body, next.contentType);
        return;
      }
      const body = request.json as GstWireRequest;
      send(200, {
        task: "getOtp",
        essentials: body.essentials,
        id: request.headers.authorization,
        patronId: "42",
        result: { message: "OTP sent", appKey: "app-key-1" },
      });
      return;
    }
    send(404, `<html><body>Cannot POST ${request.url}</body></html>`, "text/html");
  };

  reset(): void {
    this.tokens.clear();
    this.logins = 0;
    this.otpCalls = 0;
    this.loginDelayMs = 0;
    this.password = PASSWORD;
    this.otpAnswers = [];
  }
}

const aggregator = new FakeAggregator();
let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream(aggregator.handle);
});
afterAll(() => upstream.close());

/** A fresh subgraph (no token yet, breaker closed) and aggregator for each test of the calling `describe`. */
let subgraph: CapturedApp;
function withFreshSubgraph(): void {
  beforeEach(async () => {
    aggregator.reset();
    upstream.requests.length = 0;
    subgraph = await startCapturedApp({
      GST_BASE_URL: upstream.url,
      GST_OTP_PATH: OTP_PATH,
      GST_API_USERNAME: USERNAME,
      GST_API_PASSWORD: PASSWORD,
      OTP_BREAKER_FAILURES: "3",
      ...NO_LOCAL_LIMITS,
    });
  });
  afterEach(async () => {
    await subgraph.close();
    // Whatever the test did, no password and no token was written.
    const written = subgraph.raw.join("");
    expect(written).not.toContain(PASSWORD);
    expect(written).not.toMatch(/token-\d+-/);
  });
}

async function requestOtp(input = INPUT) {
  const { body } = await execute(subgraph.url, RequestOtpDocument, { input: { gst: input } });
  expect(body.errors).toBeUndefined();
  const result = body.data?.requestOtp;
  expect(JSON.stringify(result)).not.toContain(PASSWORD);
  return result;
}

describe("GST login", () => {
  withFreshSubgraph();
  it("logs in with the documented JSON, then sends the token as Authorization to {patronId}'s path", async () => {
    expect(await requestOtp()).toMatchObject({ __typename: "OtpSent" });
    const [login, otp] = upstream.requests;
    expect(login).toMatchObject({
      method: "POST",
      url: LOGIN_PATH,
      json: { username: USERNAME, password: PASSWORD },
    });
    expect(login?.headers["content-type"]).toBe("application/json");
    expect(login?.headers.authorization).toBeUndefined();
    expect(otp?.url).toBe("/api/v2/patrons/42/gstr/otp");
    expect(aggregator.tokens.has(String(otp?.headers.authorization))).toBe(true);
  });

  it("keeps the token: many sends, one login", async () => {
    for (let i = 0; i < 5; i++) expect((await requestOtp())?.__typename).toBe("OtpSent");
    expect(aggregator.logins).toBe(1);
    expect(aggregator.otpCalls).toBe(5);
  });

  it("shares one login in flight among concurrent requests", async () => {
    aggregator.loginDelayMs = 200;
    const results = await Promise.all(Array.from({ length: 20 }, () => requestOtp()));
    expect(results.map((result) => result?.__typename)).toEqual(Array(20).fill("OtpSent"));
    expect(aggregator.logins).toBe(1);
  });

  it.each([
    ["revoked by the aggregator: one new login, one retry, sent", "revoke", "OtpSent", 2, 2],
    [
      "refused again after the new login: ProviderAuthFailed, no loop",
      "refuseAll",
      "ProviderAuthFailed",
      2,
      2,
    ],
  ])("a token %s", async (_case, how, typename, logins, otpCalls) => {
    expect((await requestOtp())?.__typename).toBe("OtpSent");
    aggregator.tokens.clear();
    if (how === "refuseAll") {
      aggregator.otpAnswers = [
        { status: 401, body: { error: { statusCode: 401, message: "Authorization Required" } } },
      ];
    }
    const result = await requestOtp();
    expect(result).toMatchObject({ __typename: typename });
    if (typename === "ProviderAuthFailed")
      expect(result).toMatchObject({ providerCode: "401", retryable: false });
    expect(aggregator.logins).toBe(logins);
    expect(aggregator.otpCalls - 1).toBe(otpCalls);
  });

  it("a refused login is ProviderAuthFailed, sends nothing, and backs off instead of logging in again", async () => {
    aggregator.password = "changed-by-the-aggregator";
    const results = await Promise.all(Array.from({ length: 5 }, () => requestOtp()));
    const again = await requestOtp();
    for (const result of [...results, again]) {
      expect(result).toMatchObject({
        __typename: "ProviderAuthFailed",
        providerCode: "401",
        retryable: false,
      });
    }
    expect(aggregator.logins).toBe(1);
    expect(aggregator.otpCalls).toBe(0);
  });
});

describe("GST login, its token's life (adapter, hand-moved clock)", () => {
  it("renews the token shortly before its ttl ends, not earlier", async () => {
    aggregator.reset();
    let now = Date.UTC(2026, 0, 1);
    const http = new UpstreamClient({ timeoutMs: 2000, maxBodyBytes: 65_536 });
    const adapter = createGstAdapter(
      gstProvider.binding,
      {
        baseUrl: upstream.url,
        otpPath: OTP_PATH,
        loginPath: LOGIN_PATH,
        apiUsername: USERNAME,
        apiPassword: PASSWORD,
      },
      http,
      () => now,
    );
    const request: GstWireRequest = { task: "getOtp", essentials: { ...INPUT } };
    try {
      expect((await adapter.send(request)).kind).toBe("sent");
      now += TTL_SECONDS * 1000 - 60_001;
      expect((await adapter.send(request)).kind).toBe("sent");
      expect(aggregator.logins).toBe(1);
      now += 2;
      expect((await adapter.send(request)).kind).toBe("sent");
      expect(aggregator.logins).toBe(2);
    } finally {
      await http.close();
    }
  });
});

describe("GST 404s, told apart by their body", () => {
  withFreshSubgraph();
  it.each([
    [
      "the aggregator's JSON error",
      404,
      { error: { statusCode: 404, name: "Error", message: "not found" } },
      "AccountNotFound",
    ],
    ["a JSON message", 404, { message: "not found" }, "AccountNotFound"],
    ["an HTML page", 404, "<html><body>Cannot POST /x</body></html>", "ProviderUnavailable"],
    ["no body", 404, "", "ProviderUnavailable"],
    [
      "a JSON error naming no route",
      404,
      { error: { statusCode: 404, message: "There is no method to handle POST /x" } },
      "ProviderUnavailable",
    ],
  ])("%s is %s", async (_case, status, body, typename) => {
    const contentType = typeof body === "string" ? "text/html" : "application/json";
    aggregator.otpAnswers = [{ status, body, contentType }];
    const before = subgraph.raw.length;
    const result = await requestOtp();
    expect(result).toMatchObject({ __typename: typename, providerCode: "404" });
    const hinted = subgraph
      .lines()
      .slice(before)
      .some((line) => String(line.hint).includes("check GST_OTP_PATH"));
    expect(hinted).toBe(typename === "ProviderUnavailable");
  });

  it("wrong-path 404s open the breaker; documented ones do not", async () => {
    const notFound = { status: 404, body: { error: { statusCode: 404, message: "not found" } } };
    aggregator.otpAnswers = [notFound, notFound, notFound, notFound];
    for (let i = 0; i < 4; i++) expect((await requestOtp())?.__typename).toBe("AccountNotFound");
    const wrongPath = { status: 404, body: "Cannot POST", contentType: "text/plain" };
    aggregator.otpAnswers = [wrongPath, wrongPath, wrongPath];
    for (let i = 0; i < 3; i++) expect((await requestOtp())?.__typename).toBe("ProviderUnavailable");
    const calls = aggregator.otpCalls;
    expect(await requestOtp()).toMatchObject({ __typename: "ProviderUnavailable", providerCode: null });
    expect(aggregator.otpCalls).toBe(calls);
  });
});

describe("GST settings", () => {
  const base = {
    GST_BASE_URL: "https://gst.example.com",
    GST_OTP_PATH: "/otp",
    OTP_ALLOW_NO_ROUTER_SECRET: "true",
  };
  it.each([
    [{ ...base }, "GST_ACCESS_TOKEN, or GST_API_USERNAME and GST_API_PASSWORD"],
    [{ ...base, GST_API_USERNAME: "u" }, "GST_ACCESS_TOKEN, or GST_API_USERNAME and GST_API_PASSWORD"],
    [{ ...base, GST_ACCESS_TOKEN: "t", GST_API_PASSWORD: "p" }, "set either the access token or the login"],
    [
      { ...base, GST_OTP_PATH: "/p/{patronId}/otp", GST_ACCESS_TOKEN: "t" },
      "{patronId} comes from the login",
    ],
  ])("refuses %j", (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
    expect(() => loadConfig(env)).toThrow(/^(?!.*"p").*$/);
  });

  it("takes a login, with the documented login path by default", () => {
    const config = loadConfig({ ...base, GST_API_USERNAME: "u", GST_API_PASSWORD: "p" });
    expect(config.providers.GST).toMatchObject({ loginPath: LOGIN_PATH, apiUsername: "u", apiPassword: "p" });
  });
});

describe("GST login answered HTTP 403 with a body its document does not describe", () => {
  it("is ProviderAuthFailed with providerCode 403, and no OTP call is made", async () => {
    const forbidden = await startUpstream((_request, res) => {
      res.writeHead(403, { "content-type": "text/html" });
      res.end("<html>Forbidden</html>");
    });
    try {
      const adapter = createGstAdapter(
        gstProvider.binding,
        {
          baseUrl: forbidden.url,
          otpPath: OTP_PATH,
          loginPath: LOGIN_PATH,
          apiUsername: USERNAME,
          apiPassword: PASSWORD,
        },
        new UpstreamClient({ timeoutMs: 2000, maxBodyBytes: 65_536 }),
      );
      const request: GstWireRequest = {
        task: "getOtp",
        essentials: { gstin: "27AAPFU0939F1ZV", username: "taxpayer.one" },
      };
      expect(await adapter.send(request)).toMatchObject({
        kind: "ProviderAuthFailed",
        providerCode: "403",
        retryable: false,
        notSent: true,
      });
      expect(forbidden.requests.map((request) => request.url)).toEqual([LOGIN_PATH]);
    } finally {
      await forbidden.close();
    }
  });
});
