import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { UpstreamClient } from "../../src/providers/http-client.js";
import { createGstAdapter, GST_RESPONSES } from "../../src/providers/gst/adapter.js";
import { parseGstInput } from "../../src/providers/gst/input.js";
import { GENERIC_RESPONSES } from "../../src/providers/mapping-tables.js";
import { GST_MAGIC_USERNAMES, GST_SANDBOX_GSTIN } from "../../src/providers/gst/sandbox.js";
import { refusedLocally } from "../helpers/refused-locally.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { execute, post } from "../helpers/client.js";
import { json, refusedUrl, startUpstream, type Upstream } from "../helpers/upstream.js";

/** The rows an OTP call can answer: the login's own row is tested with a fake aggregator (gst-login.test.ts). */
const OTP_ROWS = GST_RESPONSES.filter((row) => row.code !== "login 401");
type GstCode = Exclude<(typeof GST_RESPONSES)[number]["code"], "login 401">;

const TOKEN = "gst-access-token-under-test";
const OTP_PATH = "/aggregator/gstr/otp";
const INPUT = { gstin: " 27aapfu0939f1zv ", username: "taxpayer.one" };
/** The seed's request sample, with the input normalised. */
const WIRE = { task: "getOtp", essentials: { gstin: "27AAPFU0939F1ZV", username: "taxpayer.one" } };
/** Local limits off, so that repeated sends to one GSTIN reach the upstream every time. */
const NO_LOCAL_LIMITS = {
  OTP_COOLDOWN_SECONDS: "0",
  OTP_MAX_PER_DESTINATION_PER_HOUR: "0",
  OTP_MAX_PER_DEVICE_PER_HOUR: "0",
  OTP_MAX_PER_IP_PER_HOUR: "0",
};

/** What the upstream answers for each documented row: the seed's response sample, and bare statuses. */
const REPLIES: Record<GstCode, { status: number; body: unknown }> = {
  "200": {
    status: 200,
    body: {
      task: "getOtp",
      essentials: WIRE.essentials,
      id: TOKEN,
      patronId: "patron-7",
      result: { message: "OTP sent to registered mobile", appKey: "app-key-3f9a" },
    },
  },
  "400": { status: 400, body: { message: "bad request", internal: "stack at Validator.java:42" } },
  "401": { status: 401, body: { message: "unauthorised" } },
  "404": { status: 404, body: { message: "not found" } },
  "404 other": { status: 404, body: "<html><body>Cannot POST /aggregator/gstr/otp</body></html>" },
  "422": { status: 422, body: { message: "processable entity" } },
};

/** What the contract's mapping table says a user sees for each row. */
const CONTRACT: Record<GstCode, Record<string, unknown>> = {
  "200": { __typename: "OtpSent" },
  "400": { __typename: "InvalidInput", providerCode: "400", retryable: false, fieldErrors: [] },
  "401": { __typename: "ProviderAuthFailed", providerCode: "401", retryable: false },
  "404": { __typename: "AccountNotFound", providerCode: "404", retryable: false },
  "404 other": { __typename: "ProviderUnavailable", providerCode: "404", retryable: true },
  "422": { __typename: "InvalidInput", providerCode: "422", retryable: false, fieldErrors: [] },
};

const [FAULT, UNDOCUMENTED] = GENERIC_RESPONSES;

describe("GST over HTTP against a loopback provider", () => {
  let upstream: Upstream;
  let subgraph: TestApp;
  beforeAll(async () => {
    upstream = await startUpstream();
    subgraph = await startTestApp({
      GST_BASE_URL: `${upstream.url}/`,
      GST_OTP_PATH: OTP_PATH,
      GST_ACCESS_TOKEN: TOKEN,
      OTP_PROVIDER_TIMEOUT_MS: "1500",
      ...NO_LOCAL_LIMITS,
    });
  });
  afterAll(async () => {
    await subgraph.close();
    await upstream.close();
  });

  async function requestOtp(handler: Parameters<Upstream["respond"]>[0], input = INPUT) {
    upstream.requests.length = 0;
    upstream.respond(handler);
    const { status, body } = await execute(subgraph.url, RequestOtpDocument, { input: { gst: input } });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    return body.data?.requestOtp;
  }

  it.each(OTP_ROWS)("documented $documented → $outcome", async (row) => {
    const reply = REPLIES[row.code];
    const result = await requestOtp(json(reply.status, reply.body));

    expect(result).toMatchObject({ ...CONTRACT[row.code], __typename: row.outcome });
    if (result?.__typename === "OtpSent") {
      expect(result.challenge).toMatchObject({
        provider: "GST",
        destinationHint: "27*********F1ZV",
        providerMessage: "OTP sent to registered mobile",
        devOtp: null,
        expiresAt: null,
        attemptsAllowed: null,
      });
    } else {
      expect(result).toMatchObject({ provider: "GST", message: "message" in row ? row.message : "" });
      expect(JSON.stringify(result)).not.toMatch(/stack|Validator|bad request/);
    }

    expect(upstream.requests).toHaveLength(1);
    const [request] = upstream.requests;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe(OTP_PATH);
    expect(request?.headers.authorization).toBe(TOKEN);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.json).toEqual(WIRE);
  });

  it("keeps appKey as the challenge's providerReference, for other subgraphs", async () => {
    const result = await requestOtp(json(REPLIES[200].status, REPLIES[200].body));
    if (result?.__typename !== "OtpSent") throw new Error(`expected OtpSent, got ${JSON.stringify(result)}`);
    const { body } = await post<{ _entities: unknown[] }>(subgraph.url, {
      query: `query ($r: [_Any!]!) { _entities(representations: $r) { ... on OtpChallenge { providerReference } } }`,
      variables: { r: [{ __typename: "OtpChallenge", id: result.challenge.id }] },
    });
    expect(body.data?._entities).toEqual([{ providerReference: "app-key-3f9a" }]);
  });

  it("an undocumented 5xx is ProviderUnavailable, as the generic fault row says", async () => {
    for (const status of [500, 502, 503]) {
      const result = await requestOtp(json(status, "<html>down</html>"));
      expect(result).toMatchObject({
        __typename: FAULT.outcome,
        provider: "GST",
        providerCode: String(status),
        retryable: FAULT.retryable,
      });
    }
  });

  it("a 200 without result.appKey, or any other status or shape, is UnexpectedProviderResponse", async () => {
    const { result: _result, ...withoutResult } = REPLIES[200].body as Record<string, unknown>;
    for (const [status, body] of [
      [200, withoutResult],
      [200, { result: { message: "OTP sent", appKey: 42 } }],
      [200, { result: { message: "OTP sent", appKey: "  " } }],
      [200, "not json"],
      [201, REPLIES[200].body],
      [403, { message: "forbidden" }],
      [429, { message: "slow down" }],
    ] as const) {
      const result = await requestOtp(json(status, body));
      expect(result, `${status} ${JSON.stringify(body)}`).toMatchObject({
        __typename: UNDOCUMENTED.outcome,
        provider: "GST",
        providerCode: String(status),
        retryable: UNDOCUMENTED.retryable,
      });
    }
  });

  it("no answer in time, or a reset connection, is ProviderUnavailable with no code", async () => {
    const silent = await requestOtp(() => {
      /* never answers */
    });
    expect(silent).toMatchObject({ __typename: FAULT.outcome, providerCode: null, retryable: true });
    const reset = await requestOtp((_request, res) => {
      res.socket?.destroy();
    });
    expect(reset).toMatchObject({ __typename: FAULT.outcome, providerCode: null, retryable: true });
  });

  it("bad input of every kind is InvalidInput with every failing field, and never reaches the provider", async () => {
    const cases: [typeof INPUT, string[]][] = [
      [{ gstin: "", username: "" }, ["gst.gstin", "gst.username"]],
      [{ gstin: " ", username: "\t" }, ["gst.gstin", "gst.username"]],
      [{ gstin: "2".repeat(10_240), username: "u".repeat(10_240) }, ["gst.gstin", "gst.username"]],
      [{ gstin: "२७AAPFU0939F1ZV", username: "taxpayer.one" }, ["gst.gstin"]],
      [{ gstin: "27AAPFU0939F1ZV", username: "tax\u0000payer" }, ["gst.username"]],
      [{ gstin: "27AAPFU0939F1Z\u0007", username: "tax\u202epayer" }, ["gst.gstin", "gst.username"]],
      [{ gstin: "27AAPFU0939F1ZX", username: "😀".repeat(40) }, ["gst.gstin", "gst.username"]],
      [{ gstin: "00AAPXU0939F0ZV", username: "ok" }, ["gst.gstin", "gst.gstin", "gst.gstin", "gst.gstin"]],
    ];
    upstream.requests.length = 0;
    for (const [input, fields] of cases) {
      const refused = await refusedLocally(subgraph.url, { gst: input }, "GST");
      expect(refused.fields.sort(), JSON.stringify(input).slice(0, 80)).toEqual([...fields].sort());
    }
    expect(upstream.requests).toHaveLength(0);
  });

  it("wrong types are BAD_USER_INPUT, not a 500, and never reach the provider", async () => {
    upstream.requests.length = 0;
    for (const gst of [
      { gstin: 27, username: "taxpayer.one" },
      { gstin: "27AAPFU0939F1ZV" },
      { gstin: null, username: "taxpayer.one" },
      { gstin: ["27AAPFU0939F1ZV"], username: "taxpayer.one" },
      { gstin: "27AAPFU0939F1ZV", username: "taxpayer.one", extra: true },
      "27AAPFU0939F1ZV",
    ]) {
      const { status, body } = await post(subgraph.url, {
        query: "mutation ($input: RequestOtpInput!) { requestOtp(input: $input) { __typename } }",
        variables: { input: { gst } },
      });
      expect(status, JSON.stringify(gst)).toBe(200);
      expect(body.data).toBeUndefined();
      expect(body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    }
    expect(upstream.requests).toHaveLength(0);
  });
});

describe("GST adapter", () => {
  it("a refused connection is ProviderUnavailable", async () => {
    const http = new UpstreamClient({ timeoutMs: 1000, maxBodyBytes: 64 * 1024 });
    const adapter = createGstAdapter(
      { baseUrl: await refusedUrl(), otpPath: OTP_PATH, loginPath: "/login", accessToken: TOKEN },
      http,
    );
    const parsed = parseGstInput(INPUT);
    if (!parsed.ok) throw new Error("fixture input must be valid");
    expect(await adapter.send(parsed.value)).toMatchObject({
      kind: FAULT.outcome,
      providerCode: null,
      retryable: true,
    });
  });

  it("keeps a path prefix of the base URL, and counts limits on the normalised GSTIN", async () => {
    const upstream = await startUpstream(json(REPLIES[200].status, REPLIES[200].body));
    try {
      const http = new UpstreamClient({ timeoutMs: 1000, maxBodyBytes: 64 * 1024 });
      const adapter = createGstAdapter(
        { baseUrl: `${upstream.url}/v2`, otpPath: "/otp", loginPath: "/login", accessToken: TOKEN },
        http,
      );
      const parsed = parseGstInput(INPUT);
      if (!parsed.ok) throw new Error("fixture input must be valid");
      expect(adapter.destination(parsed.value)).toEqual({ key: "27AAPFU0939F1ZV", hint: "27*********F1ZV" });
      expect(adapter.device(parsed.value)).toBeNull();
      expect(await adapter.send(parsed.value)).toMatchObject({
        kind: "sent",
        providerReference: "app-key-3f9a",
      });
      expect(upstream.requests[0]?.url).toBe("/v2/otp");
    } finally {
      await upstream.close();
    }
  });
});

describe("GST in sandbox mode", () => {
  let subgraph: TestApp;
  beforeAll(async () => {
    subgraph = await startTestApp(NO_LOCAL_LIMITS);
  });
  afterAll(() => subgraph.close());

  /** The username that reaches each documented row in the sandbox. */
  const MAGIC: Record<GstCode, string> = {
    "200": "taxpayer.one",
    "400": GST_MAGIC_USERNAMES.badRequest,
    "401": GST_MAGIC_USERNAMES.unauthorised,
    "404": GST_MAGIC_USERNAMES.notFound,
    "404 other": GST_MAGIC_USERNAMES.wrongPath,
    "422": GST_MAGIC_USERNAMES.unprocessable,
  };

  it.each(OTP_ROWS)("a magic input reaches $documented → $outcome", async (row) => {
    const { body } = await execute(subgraph.url, RequestOtpDocument, {
      input: { gst: { gstin: GST_SANDBOX_GSTIN, username: MAGIC[row.code] } },
    });
    const result = body.data?.requestOtp;
    expect(result).toMatchObject({ ...CONTRACT[row.code], __typename: row.outcome });
    if (result?.__typename === "OtpSent") {
      expect(result.challenge).toMatchObject({ provider: "GST", devOtp: null });
      expect(result.challenge.providerMessage).toMatch(/OTP sent/);
    }
  });
});
