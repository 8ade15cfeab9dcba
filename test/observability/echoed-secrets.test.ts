import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DMT_PATH } from "../../src/providers/dmt/adapter.js";
import { ITR_PATH } from "../../src/providers/itr/adapter.js";
import { PAYTM_PATH } from "../../src/providers/paytm/adapter.js";
import { PHONE_PATH } from "../../src/providers/phone/adapter.js";
import { RequestOtpDocument, type RequestOtpInput } from "../__generated__/graphql.js";
import { execute, post } from "../helpers/client.js";
import { startUpstream, type RecordedRequest, type Upstream } from "../helpers/upstream.js";
import { NO_LOCAL_LIMITS } from "../helpers/app.js";
import { startCapturedApp, type CapturedApp } from "./capture.js";

/**
 * Providers that repeat back what they were sent: every secret and personal value of each request, echoed in an
 * undocumented JSON reply, an HTML error page, a documented success's message and a documented failure, as sent,
 * upper- and lower-cased, JSON-escaped (once, twice, `\uXXXX`), URL- and form-encoded and HTML-escaped. None may
 * reach a log line or a response.
 */
const GST_PATH = "/gst/otp";
const SETTINGS = {
  GST_ACCESS_TOKEN: "gst-Access-Token-8f2c9e7a41",
  ITR_API_TOKEN: "itr-Api-Token-5b7d1c3e9f",
  DMT_CLIENT_ID: "dmt-Client-Id-77",
  DMT_CLIENT_SECRET: "dmt-Client-Secret-2a6e8c0b4d",
  PAYTM_CLIENT_ID: "paytm-Client-Id-31",
  PAYTM_CLIENT_SECRET: "paytm-Client-Secret-7c1f3a9e5b",
};
const PAYTM_BASIC = Buffer.from(`${SETTINGS.PAYTM_CLIENT_ID}:${SETTINGS.PAYTM_CLIENT_SECRET}`).toString(
  "base64",
);

/** Each provider's input, and every secret or personal value its request carries, as sent upstream. */
const CASES: { provider: string; path: string; input: RequestOtpInput; secrets: string[] }[] = [
  {
    provider: "GST",
    path: GST_PATH,
    input: { gst: { gstin: "27AAPFU0939F1ZV", username: 'Gst-Üser/1 &"x"' } },
    secrets: ["27AAPFU0939F1ZV", 'Gst-Üser/1 &"x"', SETTINGS.GST_ACCESS_TOKEN],
  },
  {
    provider: "ITR",
    path: ITR_PATH,
    input: { itr: { pan: "ABCPE1234F", password: 'Pa"ss wörd/+&<x>' } },
    secrets: ["ABCPE1234F", 'Pa"ss wörd/+&<x>', SETTINGS.ITR_API_TOKEN, `Bearer ${SETTINGS.ITR_API_TOKEN}`],
  },
  {
    provider: "DMT",
    path: DMT_PATH,
    input: {
      dmt: {
        customerMobileNumber: "9123456780",
        otpType: "CUSTOMER_REGISTRATION",
        username: "Agent Ärger/7",
        ovdType: "Aadhaar Card",
        ovdData: "234123412346",
        latLong: "19.0760,72.8777",
        publicIp: "203.0.113.77",
      },
    },
    secrets: [
      "9123456780",
      "Agent Ärger/7",
      "234123412346",
      "19.0760,72.8777",
      "203.0.113.77",
      SETTINGS.DMT_CLIENT_ID,
      SETTINGS.DMT_CLIENT_SECRET,
    ],
  },
  {
    provider: "PAYTM",
    path: PAYTM_PATH,
    input: { paytm: { phone: "9988776655", deviceIdentifier: 'Device "9"/+&<1>' } },
    secrets: [
      "9988776655",
      'Device "9"/+&<1>',
      SETTINGS.PAYTM_CLIENT_ID,
      SETTINGS.PAYTM_CLIENT_SECRET,
      PAYTM_BASIC,
    ],
  },
  {
    provider: "PHONE",
    path: PHONE_PATH,
    input: { phone: { phone: "+919812345670", country: "IN", deviceId: "dev-Ω/phone 1" } },
    secrets: ["+919812345670", "dev-Ω/phone 1"],
  },
];

/** Every way a value is written back. */
function forms(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  return [
    value,
    value.toUpperCase(),
    value.toLowerCase(),
    json,
    JSON.stringify(json).slice(1, -1),
    json.replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`),
    encodeURIComponent(value),
    new URLSearchParams({ v: value }).toString().slice(2),
    value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;"),
  ];
}

/** What a request sent that a provider could echo: its body's strings, its headers but the content type. */
function sentValues(request: RecordedRequest): string[] {
  const values: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === "string") values.push(value);
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  walk(request.json);
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === "string" && !["content-type", "host", "connection", "content-length"].includes(name))
      values.push(value);
  }
  return values.filter((value) => value.length >= 3);
}

/** JSON with every non-ASCII character written as `\uXXXX`, as Python's json.dumps writes it. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[^\x20-\x7e]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** A reply to send: status, body, and its content type (JSON unless said). */
interface Answer {
  status: number;
  body: string;
  type: string;
}

function answer(status: number, body: string, type = "application/json"): Answer {
  return { status, body, type };
}

type Reply = "undocumented JSON" | "HTML error page" | "documented success" | "documented failure";

function echo(reply: Reply, request: RecordedRequest): Answer {
  const values = sentValues(request);
  const text = values.flatMap(forms).join(" | ");
  const path = request.url.split("?")[0] ?? "";
  switch (reply) {
    case "undocumented JSON":
      return answer(
        418,
        asciiJson({
          detail: values.map((value) => ({ loc: ["body", "password"], msg: "invalid", input: value })),
          value: values,
          nested: { deeper: [{ again: values.map((value) => value.toUpperCase()) }] },
          escaped: JSON.stringify({ password: values }),
          text,
        }),
      );
    case "HTML error page":
      return answer(502, `<html><body><h1>Bad Gateway</h1><p>${text}</p></body></html>`, "text/html");
    case "documented success":
      if (path === GST_PATH)
        return answer(200, JSON.stringify({ result: { message: text, appKey: "app-key-1" } }));
      if (path === ITR_PATH) return answer(200, JSON.stringify({ otp_status: `OTP sent to ${text}` }));
      if (path === DMT_PATH)
        return answer(200, JSON.stringify({ status: "SUCCESS", statusCode: "0", statusDesc: text }));
      if (path === PAYTM_PATH)
        return answer(
          200,
          JSON.stringify({
            status: "SUCCESS",
            responseCode: "BE1400001",
            message: text,
            state_token: "state-1",
          }),
        );
      return answer(200, JSON.stringify({ success: true, message: text, data: { otp: 123456 } }));
    case "documented failure":
      if (path === GST_PATH) return answer(400, JSON.stringify({ error: text }));
      if (path === ITR_PATH)
        return answer(
          400,
          JSON.stringify({ detail: [{ loc: ["body", "password"], input: text }], message: text }),
        );
      if (path === DMT_PATH)
        return answer(200, JSON.stringify({ status: "FAILED", statusCode: "1", statusDesc: text }));
      if (path === PAYTM_PATH)
        return answer(200, JSON.stringify({ status: "FAILURE", responseCode: "BE1426011", message: text }));
      return answer(429, JSON.stringify({ success: false, message: text }));
  }
}

const REPLIES: Reply[] = ["undocumented JSON", "HTML error page", "documented success", "documented failure"];

let upstream: Upstream;
let app: CapturedApp;
/** What each provider's requests produced: log lines and response bodies, searched below. */
const seen = new Map<string, { logs: string[]; responses: string[] }>();

beforeAll(async () => {
  upstream = await startUpstream();
  app = await startCapturedApp({
    ...NO_LOCAL_LIMITS,
    LOG_LEVEL: "trace",
    OTP_BREAKER_FAILURES: "1000",
    GST_BASE_URL: upstream.url,
    GST_OTP_PATH: GST_PATH,
    ITR_BASE_URL: upstream.url,
    DMT_BASE_URL: upstream.url,
    PAYTM_BASE_URL: upstream.url,
    PHONE_BASE_URL: upstream.url,
    ...SETTINGS,
  });
  for (const { provider, input } of CASES) {
    const logs: string[] = [];
    const responses: string[] = [];
    for (const reply of REPLIES) {
      upstream.respond((request, res) => {
        const { status, body, type } = echo(reply, request);
        res.writeHead(status, { "content-type": type });
        res.end(body);
      });
      const before = app.raw.length;
      const { body } = await execute(app.url, RequestOtpDocument, { input });
      responses.push(JSON.stringify(body));
      const result = body.data?.requestOtp;
      if (result?.__typename === "OtpSent") {
        // The challenge as stored, read back as another subgraph would.
        const { body: stored } = await post(app.url, {
          query: `{ otpChallenge(id: ${JSON.stringify(result.challenge.id)}) { providerMessage providerReference } }`,
        });
        responses.push(JSON.stringify(stored));
      }
      logs.push(...app.raw.slice(before));
    }
    seen.set(provider, { logs, responses });
  }
}, 60_000);

afterAll(async () => {
  await app.close();
  await upstream.close();
});

describe("values a provider echoes back", () => {
  it("reached every provider in every way, and the undocumented ones were logged", () => {
    expect(upstream.requests.length).toBeGreaterThanOrEqual(CASES.length * REPLIES.length);
    for (const { provider } of CASES) {
      const logs = seen.get(provider)?.logs ?? [];
      expect(
        logs.filter((line) => line.includes('"undocumented reply"')).length,
        provider,
      ).toBeGreaterThanOrEqual(2);
      expect(
        seen.get(provider)?.responses.some((body) => body.includes('"OtpSent"')),
        provider,
      ).toBe(true);
    }
  });

  it.each(CASES)("never reach a log line or a response: $provider", ({ provider, secrets }) => {
    const { logs = [], responses = [] } = seen.get(provider) ?? {};
    const leaks: string[] = [];
    for (const secret of secrets) {
      for (const form of forms(secret)) {
        const needle = form.toLowerCase();
        for (const text of [...logs, ...responses]) {
          if (text.toLowerCase().includes(needle)) leaks.push(`${form} in ${text.slice(0, 300)}`);
        }
      }
    }
    expect(leaks).toEqual([]);
  });
});
