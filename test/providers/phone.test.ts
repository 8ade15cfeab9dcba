import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpstreamClient } from "../../src/providers/http-client.js";
import { createPhoneAdapter, PHONE_PATH } from "../../src/providers/phone/adapter.js";
import { parsePhoneInput, type PhoneOtpFields } from "../../src/providers/phone/input.js";
import type { ProviderAdapter } from "../../src/otp/ports.js";
import { json, refusedUrl, startUpstream, type Upstream } from "../helpers/upstream.js";
import { phone as phoneProvider } from "../../src/providers/phone/index.js";

const input = { phone: "+92 301 2345678", country: "pk", deviceId: "android.unique.device.id" };
const wire = { phone: "+923012345678", country: "PK", deviceId: "android.unique.device.id" };

let upstream: Upstream;
let adapter: ProviderAdapter<PhoneOtpFields>;
const http = new UpstreamClient({ timeoutMs: 500, maxBodyBytes: 64 * 1024 });

beforeAll(async () => {
  upstream = await startUpstream();
  adapter = createPhoneAdapter(phoneProvider.binding, { baseUrl: upstream.url }, http);
});
afterAll(() => upstream.close());

async function send(handler: Parameters<Upstream["respond"]>[0]) {
  upstream.requests.length = 0;
  upstream.respond(handler);
  const parsed = adapter.parse(input);
  if (!parsed.ok) throw new Error("fixture input must be valid");
  return adapter.send(parsed.value);
}

describe("PHONE adapter: every documented response", () => {
  it("success: true is sent, with data.otp as devOtp, and the request is the documented one", async () => {
    const result = await send(
      json(200, {
        success: true,
        message: "request processed successfully",
        data: { otp: 912283 },
        timestamp: "2026-02-03T14:46:16.374Z",
      }),
    );
    expect(result).toEqual({
      kind: "sent",
      providerMessage: "request processed successfully",
      providerReference: null,
      devOtp: "912283",
      validForSeconds: null,
      resendGapSeconds: null,
      attemptsAllowed: null,
    });
    expect(upstream.requests).toHaveLength(1);
    const [request] = upstream.requests;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe(PHONE_PATH);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.json).toEqual(wire);
  });

  it("success: true without an OTP (production) is sent with no devOtp", async () => {
    const result = await send(json(200, { success: true, message: "request processed successfully" }));
    expect(result).toMatchObject({ kind: "sent", devOtp: null });
  });

  it('"Invalid phone number" is InvalidInput on phone.phone with the HTTP status as providerCode', async () => {
    const result = await send(json(400, { success: false, message: "Invalid phone number" }));
    expect(result).toEqual({
      kind: "InvalidInput",
      provider: "PHONE",
      providerCode: "400",
      retryable: false,
      message: "The provider did not accept this phone number.",
      fieldErrors: [{ field: "phone.phone", message: "The provider did not accept this phone number." }],
    });
  });

  it.each([
    "Invalid phone number.",
    "invalid phone number",
    "  INVALID PHONE NUMBER!  ",
    "Invalid  phone number .",
  ])(
    '%j is the documented "Invalid phone number" (case, space and trailing punctuation ignored)',
    async (message) => {
      const result = await send(json(400, { success: false, message }));
      expect(result).toMatchObject({ kind: "InvalidInput", fieldErrors: [{ field: "phone.phone" }] });
    },
  );

  it("a success or failure flag as a string is the documented one; another message is not documented", async () => {
    expect(await send(json(200, { success: "true", message: "ok" }))).toMatchObject({ kind: "sent" });
    expect(await send(json(400, { success: "false", message: "Invalid phone number" }))).toMatchObject({
      kind: "InvalidInput",
    });
    expect(await send(json(400, { success: false, message: "Invalid phone numbers here" }))).toMatchObject({
      kind: "UnexpectedProviderResponse",
    });
  });

  it('"Invalid phone number" with HTTP 200 keeps 200 as providerCode', async () => {
    const result = await send(json(200, { success: false, message: "Invalid phone number" }));
    expect(result).toMatchObject({ kind: "InvalidInput", providerCode: "200" });
  });

  it('"Two many request" is RateLimited by the PROVIDER, retryable, with Retry-After', async () => {
    const result = await send(
      json(429, { success: false, message: "Two many request" }, { "retry-after": "42" }),
    );
    expect(result).toEqual({
      kind: "RateLimited",
      provider: "PHONE",
      providerCode: "429",
      retryable: true,
      limitedBy: "PROVIDER",
      retryAfterSeconds: 42,
      message: "Too many OTP requests for this phone or device. Please wait before trying again.",
    });
  });

  it("a Retry-After past what a GraphQL Int holds is capped; an unreadable one is null", async () => {
    const huge = await send(
      json(429, { success: false, message: "Two many request" }, { "retry-after": "99999999999" }),
    );
    expect(huge).toMatchObject({ kind: "RateLimited", retryAfterSeconds: 2 ** 31 - 1 });
    const garbage = await send(
      json(429, { success: false, message: "Two many request" }, { "retry-after": "soon" }),
    );
    expect(garbage).toMatchObject({ kind: "RateLimited", retryAfterSeconds: 60 });
  });

  it('"Two many request" with HTTP 200 and no Retry-After waits the documented "bit": 60 s', async () => {
    const result = await send(json(200, { success: false, message: "Two many request" }));
    expect(result).toMatchObject({ kind: "RateLimited", providerCode: "200", retryAfterSeconds: 60 });
  });

  it.each([
    [200, "Two many request"],
    [400, "two many requests"],
    [403, "Too many requests"],
    [429, "TOO MANY REQUEST."],
    [500, " Too many requests! "],
  ])("HTTP %i with %j is RateLimited", async (status, message) => {
    const result = await send(json(status, { success: false, message }));
    expect(result).toMatchObject({
      kind: "RateLimited",
      limitedBy: "PROVIDER",
      providerCode: String(status),
      retryable: true,
      retryAfterSeconds: 60,
    });
  });

  it.each(["Too many", "Too many requests for this IP, blocked", "many requests"])(
    "%j is no documented message (undocumented reply)",
    async (message) => {
      const result = await send(json(400, { success: false, message }));
      expect(result.kind).toBe("UnexpectedProviderResponse");
    },
  );

  it("HTTP 429 with any body is RateLimited; an HTTP-date Retry-After is turned into seconds", async () => {
    const later = new Date(Date.now() + 120_000).toUTCString();
    const result = await send(json(429, "<html>slow down</html>", { "retry-after": later }));
    expect(result).toMatchObject({ kind: "RateLimited", providerCode: "429", limitedBy: "PROVIDER" });
    expect(result.kind === "RateLimited" && result.retryAfterSeconds).toBeGreaterThanOrEqual(118);
  });
});

describe("PHONE adapter: faults", () => {
  it("a refused connection is ProviderUnavailable", async () => {
    const refused = createPhoneAdapter(phoneProvider.binding, { baseUrl: await refusedUrl() }, http);
    const result = await refused.send(wire);
    expect(result).toMatchObject({ kind: "ProviderUnavailable", providerCode: null, retryable: true });
  });

  it("a body over the size cap is UnexpectedProviderResponse", async () => {
    const result = await send(json(200, { success: true, message: "x".repeat(100 * 1024) }));
    expect(result).toMatchObject({ kind: "UnexpectedProviderResponse", providerCode: "200" });
  });
});

describe("PHONE input validation", () => {
  it("normalises an E.164 number of its country", () => {
    expect(parsePhoneInput(phoneProvider.binding, input)).toEqual({ ok: true, value: wire });
    expect(
      parsePhoneInput(phoneProvider.binding, { phone: "+1 415 555 2671", country: "US", deviceId: "d" }),
    ).toMatchObject({
      ok: true,
    });
  });

  it("reports every failing field at once", () => {
    expect(
      parsePhoneInput(phoneProvider.binding, { phone: "0301 2345678", country: "Pakistan", deviceId: " " }),
    ).toEqual({
      ok: false,
      fieldErrors: [
        { field: "phone.country", message: "At most 2 characters." },
        { field: "phone.deviceId", message: "Required." },
        {
          field: "phone.phone",
          message: "Not a valid phone number in international format (E.164, e.g. +919876543210).",
        },
      ],
    });
  });

  it("refuses a number of another country", () => {
    expect(parsePhoneInput(phoneProvider.binding, { ...input, country: "IN" })).toEqual({
      ok: false,
      fieldErrors: [{ field: "phone.country", message: "The phone number is not a number of IN." }],
    });
  });

  it("refuses unknown countries, over-long values and control characters", () => {
    const result = parsePhoneInput(phoneProvider.binding, {
      phone: "+92301\u00002345678",
      country: "ZZ",
      deviceId: "d".repeat(129),
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.fieldErrors.map((e) => e.field)).toEqual([
      "phone.phone",
      "phone.deviceId",
      "phone.country",
    ]);
  });
});
