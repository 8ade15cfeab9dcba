import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { UpstreamClient } from "../../src/providers/http-client.js";
import { createItrAdapter, ITR_PATH, ITR_RESPONSES } from "../../src/providers/itr/adapter.js";
import { parseItrInput } from "../../src/providers/itr/input.js";
import { GENERIC_RESPONSES } from "../../src/providers/mapping-tables.js";
import { ITR_MAGIC, ITR_SANDBOX_PAN } from "../../src/providers/itr/sandbox.js";
import { refusedLocally } from "../helpers/refused-locally.js";
import { startCapturedApp } from "../observability/capture.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { execute, post } from "../helpers/client.js";
import { json, refusedUrl, startUpstream, type Upstream } from "../helpers/upstream.js";

type ItrCode = (typeof ITR_RESPONSES)[number]["code"];

const TOKEN = "itr-api-token-under-test";
const PASSWORD = "S3cret pass#word";
const INPUT = { pan: " abcpe1234f", password: PASSWORD };
/** The seed's request example, with the PAN normalised and the password exactly as typed. */
const WIRE = { pan: "ABCPE1234F", password: PASSWORD };
/** Local limits off, so that repeated sends to one PAN reach the upstream every time. */
const NO_LOCAL_LIMITS = {
  OTP_COOLDOWN_SECONDS: "0",
  OTP_MAX_PER_DESTINATION_PER_HOUR: "0",
  OTP_MAX_PER_DEVICE_PER_HOUR: "0",
  OTP_MAX_PER_IP_PER_HOUR: "0",
};

const PAN_ERROR = { field: "itr.pan", message: "The income-tax portal did not accept this PAN." };
const PASSWORD_ERROR = {
  field: "itr.password",
  message: "The income-tax portal did not accept this password.",
};

/** What the upstream answers for each documented row, in the seed's shapes. */
const REPLIES: Record<ItrCode, { status: number; body: unknown }> = {
  "200": { status: 200, body: { otp_status: "OTP sent to registered mobile" } },
  "200 not triggered": { status: 200, body: { otp_status: "OTP not sent" } },
  "400": {
    status: 400,
    body: { detail: { pan: `PAN ${WIRE.pan} is invalid`, password: PASSWORD }, message: "Validation error" },
  },
  "401": { status: 401, body: { detail: {}, message: "Invalid Bearer token" } },
  "500": { status: 500, body: { error: "psycopg2.OperationalError: connection to db-7 failed" } },
};

/** What the contract's mapping table says a user sees for each row. */
const CONTRACT: Record<ItrCode, Record<string, unknown>> = {
  "200": { __typename: "OtpSent" },
  "200 not triggered": { __typename: "ProviderUnavailable", providerCode: "200", retryable: true },
  "400": {
    __typename: "InvalidInput",
    providerCode: "400",
    retryable: false,
    fieldErrors: [PAN_ERROR, PASSWORD_ERROR],
  },
  "401": { __typename: "ProviderAuthFailed", providerCode: "401", retryable: false },
  "500": { __typename: "ProviderUnavailable", providerCode: "500", retryable: true, retryAfterSeconds: null },
};

const [FAULT, UNDOCUMENTED] = GENERIC_RESPONSES;

describe("ITR over HTTP against a loopback provider", () => {
  let upstream: Upstream;
  let subgraph: TestApp;
  beforeAll(async () => {
    upstream = await startUpstream();
    subgraph = await startTestApp({
      ITR_BASE_URL: upstream.url,
      ITR_API_TOKEN: TOKEN,
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
    const { status, body } = await execute(subgraph.url, RequestOtpDocument, { input: { itr: input } });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(JSON.stringify(body)).not.toContain(PASSWORD);
    return body.data?.requestOtp;
  }

  it.each(ITR_RESPONSES)("documented $documented → $outcome", async (row) => {
    const reply = REPLIES[row.code];
    const result = await requestOtp(json(reply.status, reply.body));

    expect(result).toMatchObject({ ...CONTRACT[row.code], __typename: row.outcome });
    if (result?.__typename === "OtpSent") {
      expect(result.challenge).toMatchObject({
        provider: "ITR",
        destinationHint: "AB******4F",
        providerMessage: "OTP sent to registered mobile",
        devOtp: null,
        expiresAt: null,
        attemptsAllowed: null,
      });
    } else {
      expect(result).toMatchObject({ provider: "ITR", message: "message" in row ? row.message : "" });
      expect(JSON.stringify(result)).not.toMatch(/psycopg2|db-7|Bearer|is invalid/);
    }

    expect(upstream.requests).toHaveLength(1);
    const [request] = upstream.requests;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe(ITR_PATH);
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.json).toEqual(WIRE);
  });

  it.each([
    ["OTP_SENT", "OtpSent", "OTP_SENT"],
    ["success", "OtpSent", "success"],
    ["Triggered", "OtpSent", "Triggered"],
    ["true", "OtpSent", "true"],
    ["FAILED", "ProviderUnavailable", null],
    ["error", "ProviderUnavailable", null],
    ["Not Triggered", "ProviderUnavailable", null],
    ["otp_not_sent", "ProviderUnavailable", null],
    ["false", "ProviderUnavailable", null],
    ["PENDING 9876543210", "OtpSent", null],
    ["", "OtpSent", null],
  ])("otp_status %j is %s", async (otpStatus, typename, providerMessage) => {
    const result = await requestOtp(json(200, { otp_status: otpStatus }));
    expect(result?.__typename).toBe(typename);
    if (result?.__typename === "OtpSent") expect(result.challenge.providerMessage).toBe(providerMessage);
    else expect(result).toMatchObject({ providerCode: "200", retryable: true });
  });

  it("logs an unrecognised otp_status scrubbed, and counts it", async () => {
    const captured = await startCapturedApp({
      ITR_BASE_URL: upstream.url,
      ITR_API_TOKEN: TOKEN,
      ...NO_LOCAL_LIMITS,
    });
    try {
      upstream.respond(json(200, { otp_status: "QUEUED for 9876543210" }));
      const { body } = await execute(captured.url, RequestOtpDocument, { input: { itr: INPUT } });
      expect(body.data?.requestOtp.__typename).toBe("OtpSent");
      const line = captured.lines().find((logged) => logged.msg === "unrecognised value in a reply");
      expect(line).toMatchObject({ provider: "ITR", field: "otp_status", mappedAs: "OtpSent" });
      expect(JSON.stringify(line)).toContain("QUEUED");
      expect(captured.raw.join("")).not.toContain("9876543210");
      const metrics = await (await fetch(`${captured.origin}/metrics`)).text();
      expect(metrics).toContain('otp_provider_unrecognised_total{provider="ITR",field="otp_status"} 1');
    } finally {
      await captured.close();
    }
  });

  it("a 400's detail names fields as an object or a FastAPI list; anything else names none", async () => {
    const cases: [unknown, unknown[]][] = [
      [{ pan: ["Invalid PAN"] }, [PAN_ERROR]],
      [{ PASSWORD: "wrong" }, [PASSWORD_ERROR]],
      [[{ loc: ["body", "password"], msg: "Incorrect password", input: PASSWORD }], [PASSWORD_ERROR]],
      [
        [
          { loc: ["body", "pan"], msg: "Field required" },
          { loc: ["body", "password"], msg: "Field required" },
        ],
        [PAN_ERROR, PASSWORD_ERROR],
      ],
      [[{ loc: ["query", "consent"], msg: "required" }, "junk", null], []],
      [{ consent: "required" }, []],
      [`password ${PASSWORD} is wrong`, []],
      [{}, []],
      [null, []],
    ];
    for (const [detail, fieldErrors] of cases) {
      const result = await requestOtp(json(400, { detail, message: `Validation error for ${PASSWORD}` }));
      expect(result, JSON.stringify(detail)).toMatchObject({
        __typename: "InvalidInput",
        providerCode: "400",
        fieldErrors,
      });
    }
    const onlyMessage = await requestOtp(json(400, { message: "Validation error" }));
    expect(onlyMessage).toMatchObject({ __typename: "InvalidInput", fieldErrors: [] });
  });

  it("a 500 of any body is ProviderUnavailable, and other 5xx are the generic fault", async () => {
    expect(await requestOtp(json(500, "<html>oops</html>"))).toMatchObject(CONTRACT[500]);
    for (const status of [502, 503, 504]) {
      expect(await requestOtp(json(status, { error: "x" }))).toMatchObject({
        __typename: FAULT.outcome,
        providerCode: String(status),
        retryable: FAULT.retryable,
      });
    }
  });

  it("a 200 without a string otp_status, a 400 without {detail, message}, or another status is unexpected", async () => {
    for (const [status, body] of [
      [200, {}],
      [200, { otp_status: true }],
      [200, "OTP sent"],
      [400, "<html>Bad Request</html>"],
      [400, ["detail"]],
      [403, { detail: "Forbidden" }],
      [422, { detail: [{ loc: ["body", "pan"], msg: "x" }] }],
    ] as const) {
      const result = await requestOtp(json(status, body));
      expect(result, `${status} ${JSON.stringify(body)}`).toMatchObject({
        __typename: UNDOCUMENTED.outcome,
        provider: "ITR",
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

  it("bad input of every kind is InvalidInput with every failing field, never quoting the password, and never reaches the provider", async () => {
    const cases: [typeof INPUT, string[]][] = [
      [{ pan: "", password: "" }, ["itr.pan", "itr.password"]],
      [{ pan: "  ", password: "   " }, ["itr.pan", "itr.password"]],
      [
        { pan: "A".repeat(10_240), password: `${PASSWORD}${"p".repeat(10_240)}` },
        ["itr.pan", "itr.password"],
      ],
      [{ pan: "ABCPÉ1234F", password: PASSWORD }, ["itr.pan"]],
      [{ pan: "ABCXE1234F", password: `${PASSWORD}\u0000` }, ["itr.pan", "itr.password"]],
      [{ pan: "ABCPE1234F\n", password: `${PASSWORD}\u001b[2J` }, ["itr.password"]],
      [{ pan: "ＡＢＣＰＥ１２３４Ｆ", password: PASSWORD }, ["itr.pan"]],
    ];
    upstream.requests.length = 0;
    for (const [input, fields] of cases) {
      const refused = await refusedLocally(subgraph.url, { itr: input }, "ITR");
      expect(JSON.stringify(refused.body)).not.toContain(PASSWORD);
      expect(refused.fields, JSON.stringify(input).slice(0, 80)).toEqual(fields);
    }
    expect(upstream.requests).toHaveLength(0);
  });

  it("wrong types are BAD_USER_INPUT, never echoing the password, and never reach the provider", async () => {
    upstream.requests.length = 0;
    for (const itr of [
      { pan: 1234, password: PASSWORD },
      { pan: "ABCPE1234F" },
      { pan: "ABCPE1234F", password: null },
      { pan: "ABCPE1234F", password: [PASSWORD] },
      { pan: "ABCPE1234F", password: { value: PASSWORD } },
    ]) {
      const { status, body } = await post(subgraph.url, {
        query: "mutation ($input: RequestOtpInput!) { requestOtp(input: $input) { __typename } }",
        variables: { input: { itr } },
      });
      expect(status).toBe(200);
      expect(body.data).toBeUndefined();
      expect(body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    }
    expect(upstream.requests).toHaveLength(0);
  });
});

describe("ITR adapter", () => {
  it("a refused connection is ProviderUnavailable; the destination is the PAN, masked for the user", async () => {
    const http = new UpstreamClient({ timeoutMs: 1000, maxBodyBytes: 64 * 1024 });
    const adapter = createItrAdapter({ baseUrl: await refusedUrl(), apiToken: TOKEN }, http);
    const parsed = parseItrInput(INPUT);
    if (!parsed.ok) throw new Error("fixture input must be valid");
    expect(adapter.destination(parsed.value)).toEqual({ key: "ABCPE1234F", hint: "AB******4F" });
    expect(adapter.device(parsed.value)).toBeNull();
    expect(await adapter.send(parsed.value)).toMatchObject({
      kind: FAULT.outcome,
      providerCode: null,
      retryable: true,
    });
  });
});

describe("ITR in sandbox mode", () => {
  let subgraph: TestApp;
  beforeAll(async () => {
    subgraph = await startTestApp(NO_LOCAL_LIMITS);
  });
  afterAll(() => subgraph.close());

  const withDigits = (digits: string) => `${ITR_SANDBOX_PAN.slice(0, 5)}${digits}${ITR_SANDBOX_PAN.slice(9)}`;
  /** The input that reaches each documented row in the sandbox, and the fields a 400 names. */
  const MAGIC: Record<ItrCode, { pan: string; password: string }[]> = {
    "200": [{ pan: ITR_SANDBOX_PAN, password: PASSWORD }],
    "200 not triggered": [{ pan: withDigits(ITR_MAGIC.notTriggeredDigits), password: PASSWORD }],
    "400": [
      { pan: withDigits(ITR_MAGIC.invalidPanDigits), password: PASSWORD },
      { pan: ITR_SANDBOX_PAN, password: ITR_MAGIC.wrongPassword },
    ],
    "401": [{ pan: withDigits(ITR_MAGIC.unauthorisedDigits), password: PASSWORD }],
    "500": [{ pan: withDigits(ITR_MAGIC.serverErrorDigits), password: PASSWORD }],
  };

  it.each(ITR_RESPONSES)("a magic input reaches $documented → $outcome", async (row) => {
    for (const input of MAGIC[row.code]) {
      const { body } = await execute(subgraph.url, RequestOtpDocument, { input: { itr: input } });
      const result = body.data?.requestOtp;
      const { fieldErrors: _all, ...expected } = CONTRACT[row.code];
      expect(result, input.pan).toMatchObject({ ...expected, __typename: row.outcome });
      if (result?.__typename === "OtpSent") expect(result.challenge).toMatchObject({ devOtp: null });
      if (result?.__typename === "InvalidInput") {
        expect(result.fieldErrors).toEqual([input.password === PASSWORD ? PAN_ERROR : PASSWORD_ERROR]);
      }
    }
  });
});
