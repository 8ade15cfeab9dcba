import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestOtpDocument, type PaytmOtpInput } from "../__generated__/graphql.js";
import { UpstreamClient } from "../../src/providers/http-client.js";
import { asRecord } from "../../src/providers/outcomes.js";
import { createPaytmAdapter, PAYTM_PATH, PAYTM_RESPONSES } from "../../src/providers/paytm/adapter.js";
import { parsePaytmInput } from "../../src/providers/paytm/input.js";
import { PAYTM_SANDBOX_ALLOWED_SCOPES } from "../../src/providers/paytm/sandbox.js";
import { NO_LOCAL_LIMITS, useTestApp } from "../helpers/app.js";
import { execute, post } from "../helpers/client.js";
import { itRefusesEach, useLoopbackProvider, type BadInput } from "../helpers/loopback-provider.js";
import { json, startUpstream, type Upstream, type UpstreamHandler } from "../helpers/upstream.js";
import { cases, CLIENT_ID, CLIENT_SECRET, STATE_TOKEN } from "./paytm.cases.js";
import { paytm as paytmProvider } from "../../src/providers/paytm/index.js";

type PaytmCode = (typeof PAYTM_RESPONSES)[number]["code"];
type PaytmRow = (typeof PAYTM_RESPONSES)[number];

const BASIC = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64")}`;

const input = {
  phone: "+91 77777-77777",
  deviceIdentifier: "8c4afbfab1ae0bd4",
} satisfies PaytmOtpInput;

/** The seed's table: status and message of every responseCode. */
const SEED: Record<PaytmCode, { status: string; message: string }> = {
  BE1400001: { status: "SUCCESS", message: "Success" },
  "434": { status: "FAILURE", message: "Bad request" },
  BE1423005: { status: "FAILURE", message: "Invalid Authorization" },
  BE1423006: { status: "FAILURE", message: "Client permission not found" },
  BE1423012: { status: "FAILURE", message: "Device identifier is missing" },
  BE1424001: {
    status: "FAILURE",
    message:
      "We have found suspicious activity from this number. Therefore, we have blocked this account. Please raise a request at paytm.com/care to unblock your account.",
  },
  BE1425004: {
    status: "FAILURE",
    message: "Mobile number is already pending for verification. Please try after 48 hours.",
  },
  BE1425005: { status: "FAILURE", message: "Scope not allowed" },
  BE1425006: {
    status: "FAILURE",
    message: "Oops! You have reached an OTP limit, please raise a query at paytm.com/care.",
  },
  BE1426003: { status: "FAILURE", message: "There was some issue in processing this request" },
  BE1426011: {
    status: "FAILURE",
    message:
      "We have found a suspicious activity from this number. Therefore, we have blocked your account. Please raise a request at paytm.com/care. The response code may change.",
  },
  "BE14xxxxx blocked": {
    status: "FAILURE",
    message: "Your account has been BLOCKED. Please raise a request at paytm.com/care.",
  },
};

/** The responseCode on the wire: the row's code, or for the undocumented row one it stands for. */
const wireCode = (code: PaytmCode) => (code === "BE14xxxxx blocked" ? "BE1426099" : code);

/** CONTRACT.md's rows for Paytm failures, written out independently of the adapter's table. */
const CONTRACT_FAILURES: Record<Exclude<PaytmCode, "BE1400001">, Record<string, unknown>> = {
  "434": { __typename: "InvalidInput", retryable: false, fields: [] },
  BE1423005: { __typename: "ProviderAuthFailed", retryable: false },
  BE1423006: { __typename: "ProviderAuthFailed", retryable: false },
  BE1423012: { __typename: "InvalidInput", retryable: false, fields: ["paytm.deviceIdentifier"] },
  BE1424001: { __typename: "AccountBlocked", retryable: false },
  BE1425004: {
    __typename: "RateLimited",
    retryable: true,
    limitedBy: "PROVIDER",
    retryAfterSeconds: 172_800,
  },
  BE1425005: { __typename: "ProviderAuthFailed", retryable: false },
  BE1425006: { __typename: "RateLimited", retryable: false, limitedBy: "PROVIDER", retryAfterSeconds: null },
  BE1426003: { __typename: "ProviderUnavailable", retryable: true, retryAfterSeconds: null },
  BE1426011: { __typename: "AccountBlocked", retryable: false },
  "BE14xxxxx blocked": { __typename: "AccountBlocked", retryable: false },
};

function seedBody(code: PaytmCode) {
  return {
    ...SEED[code],
    responseCode: wireCode(code),
    ...(code === "BE1400001" && { state_token: STATE_TOKEN }),
  };
}

function expectedFailure(row: PaytmRow) {
  if (row.code === "BE1400001") throw new Error("a success row has no failure");
  const { fields, ...contract } = CONTRACT_FAILURES[row.code];
  const message: string = row.message;
  return {
    ...contract,
    provider: "PAYTM",
    providerCode: wireCode(row.code),
    message,
    ...(Array.isArray(fields) && { fieldErrors: fields.map((field: unknown) => ({ field, message })) }),
  };
}

describe("PAYTM over HTTP against a loopback Paytm: every documented response", () => {
  const provider = useLoopbackProvider((url) => ({ ...cases.env(url), PAYTM_SCOPES: "paytm, wallet" }));
  const upstream = () => provider.upstream;
  const send = (paytm: PaytmOtpInput, answer: UpstreamHandler) => provider.send({ paytm }, answer);

  function expectDocumentedRequest(wire: { phone: string; scopes: string[] }, autoReadHash?: string) {
    expect(upstream().requests).toHaveLength(1);
    const [request] = upstream().requests;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe(`${PAYTM_PATH}?locale=en-IN`);
    expect(request?.headers.authorization).toBe(BASIC);
    expect(request?.headers["x-device-identifier"]).toBe(input.deviceIdentifier);
    expect(request?.headers.autoreadhash).toBe(autoReadHash);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.json).toEqual(wire);
  }

  it("covers exactly the rows CONTRACT.md lists", () => {
    expect(PAYTM_RESPONSES.map((row) => row.code).sort()).toEqual(
      ["BE1400001", ...Object.keys(CONTRACT_FAILURES)].sort(),
    );
  });

  it("BE1400001 is OtpSent with state_token as providerReference; scopes default to the configured ones", async () => {
    const { result, body } = await send(input, json(200, seedBody("BE1400001")));
    expectDocumentedRequest({ phone: "7777777777", scopes: ["paytm", "wallet"] });
    if (result?.__typename !== "OtpSent") throw new Error(`expected OtpSent, got ${JSON.stringify(result)}`);
    expect(result.challenge).toMatchObject({
      provider: "PAYTM",
      destinationHint: "******7777",
      providerMessage: "Success",
      expiresAt: null,
      attemptsAllowed: null,
      devOtp: null,
      resendAvailableAt: result.challenge.sentAt,
    });
    expect(JSON.stringify(body)).not.toContain(STATE_TOKEN);
    const { body: entities } = await post<{ _entities: unknown[] }>(provider.subgraph.url, {
      query: `query ($r: [_Any!]!) { _entities(representations: $r) { ... on OtpChallenge { providerReference } } }`,
      variables: { r: [{ __typename: "OtpChallenge", id: result.challenge.id }] },
    });
    expect(entities.data?._entities).toEqual([{ providerReference: STATE_TOKEN }]);
  });

  it("refuses a scope that is not in PAYTM_SCOPES locally, on paytm.scopes, sending nothing", async () => {
    const { result } = await send({ ...input, scopes: ["paytm", "gold"] }, json(200, seedBody("BE1400001")));
    expect(result).toMatchObject({
      __typename: "InvalidInput",
      providerCode: null,
      fieldErrors: [
        {
          field: "paytm.scopes",
          message:
            "Only the scopes this server has from Paytm (paytm, wallet); leave scopes out for all of them.",
        },
      ],
    });
    expect(upstream().requests).toHaveLength(0);
  });

  it("sends the input's scopes, autoReadHash and locale as documented", async () => {
    const { result } = await send(
      { ...input, phone: "07777777777", scopes: [" paytm "], autoReadHash: "FA+9qCX9VSu", locale: "en-in" },
      json(200, seedBody("BE1400001")),
    );
    expectDocumentedRequest({ phone: "7777777777", scopes: ["paytm"] }, "FA+9qCX9VSu");
    expect(result?.__typename).toBe("OtpSent");
  });

  for (const row of PAYTM_RESPONSES.filter((r) => r.code !== "BE1400001")) {
    for (const httpStatus of [200, 400, 503]) {
      it(`${row.code} with HTTP ${httpStatus} is ${row.outcome}`, async () => {
        const { result } = await send(input, json(httpStatus, seedBody(row.code)));
        expectDocumentedRequest({ phone: "7777777777", scopes: ["paytm", "wallet"] });
        expect(result).toEqual(expectedFailure(row));
        expect(JSON.stringify(result)).not.toContain(SEED[row.code].message);
      });
    }
  }

  it("an undocumented BE14 code whose message says blocked is AccountBlocked, keeping the code; others are unexpected", async () => {
    const failure = (responseCode: string, message: string) => ({ status: "FAILURE", responseCode, message });
    const cases: [number, unknown, string][] = [
      [400, failure("BE1426099", "Try later"), "UnexpectedProviderResponse"],
      [400, failure("BE1526099", "blocked"), "UnexpectedProviderResponse"],
      [400, failure("BE14260990", "blocked"), "UnexpectedProviderResponse"],
      [400, failure("BE1426099", "unblocked"), "UnexpectedProviderResponse"],
      // Not a documented body, on a 403: Paytm refused this service (the blocked reading goes first).
      [403, failure("BE1426099", "Try later"), "ProviderAuthFailed"],
      [403, failure("BE1427001", "Account blocking in place"), "AccountBlocked"],
    ];
    for (const [httpStatus, reply, member] of cases) {
      const { result } = await send(input, json(httpStatus, reply));
      const code = asRecord(reply)?.responseCode;
      expect(result).toMatchObject({
        __typename: member,
        provider: "PAYTM",
        // An undocumented code mapped by its message keeps the code; the others have only the HTTP status.
        providerCode: member === "AccountBlocked" ? code : String(httpStatus),
      });
    }
  });
});

describe("PAYTM codes in any JSON type and case", () => {
  const provider = useLoopbackProvider(cases.env, json(200, seedBody("BE1400001")));

  it.each([
    [
      "434 as a JSON number",
      400,
      { status: "FAILURE", message: "Bad request", responseCode: 434 },
      "InvalidInput",
      "434",
    ],
    [
      '" 434 " with its status in lower case',
      400,
      { status: "failure", message: "Bad request", responseCode: " 434 " },
      "InvalidInput",
      "434",
    ],
    [
      "be1423012 in lower case",
      400,
      { status: "FAILURE", message: "x", responseCode: "be1423012" },
      "InvalidInput",
      "BE1423012",
    ],
    [
      "a success with status in lower case",
      200,
      { ...seedBody("BE1400001"), status: "Success" },
      "OtpSent",
      null,
    ],
  ])("%s is the documented row", async (_name, httpStatus, body, typename, providerCode) => {
    const { result } = await provider.send({ paytm: input }, json(httpStatus, body));
    expect(result?.__typename).toBe(typename);
    if (providerCode !== null) expect(result).toMatchObject({ providerCode });
  });
});

describe("PAYTM bad input over HTTP: never a 500, never an upstream call", () => {
  const provider = useLoopbackProvider(cases.env, json(200, seedBody("BE1400001")));

  const full = { ...input, scopes: ["paytm"], autoReadHash: "FA+9qCX9VSu", locale: "en-IN" };
  const huge = "7".repeat(10_240);
  const badInputs: BadInput<PaytmOtpInput>[] = [
    ["an empty phone", { ...full, phone: "" }, "phone"],
    ["an empty deviceIdentifier", { ...full, deviceIdentifier: " " }, "deviceIdentifier"],
    ["an empty scope list", { ...full, scopes: [] }, "scopes"],
    ["an empty scope", { ...full, scopes: ["paytm", ""] }, "scopes.1"],
    ["a 10 kB phone", { ...full, phone: huge }, "phone"],
    ["a 10 kB deviceIdentifier", { ...full, deviceIdentifier: huge }, "deviceIdentifier"],
    ["a 10 kB scope", { ...full, scopes: [huge] }, "scopes.0"],
    ["a thousand scopes", { ...full, scopes: Array.from({ length: 1000 }, () => "paytm") }, "scopes"],
    ["a 10 kB autoReadHash", { ...full, autoReadHash: huge }, "autoReadHash"],
    ["a 10 kB locale", { ...full, locale: huge }, "locale"],
    ["a control character in the phone", { ...full, phone: "77777\u000077777" }, "phone"],
    [
      "a control character in the device",
      { ...full, deviceIdentifier: "dev\r\nX-Evil: 1" },
      "deviceIdentifier",
    ],
    ["a control character in a scope", { ...full, scopes: ["pay\u0007tm"] }, "scopes.0"],
    ["a control character in autoReadHash", { ...full, autoReadHash: "a\u0000b" }, "autoReadHash"],
    [
      "unicode in the device (not a header value)",
      { ...full, deviceIdentifier: "डिवाइस-१" },
      "deviceIdentifier",
    ],
    ["fullwidth digits in the phone", { ...full, phone: "７７７７７７７７７７" }, "phone"],
    ["an emoji in autoReadHash", { ...full, autoReadHash: "hash🙂" }, "autoReadHash"],
    ["a landline", { ...full, phone: "+91 22 2345 6789" }, "phone"],
    ["an undocumented locale", { ...full, locale: "hi-IN" }, "locale"],
  ];

  itRefusesEach(provider, "PAYTM", "paytm", badInputs);

  it("a number for a string, a string for the scope list, or a missing field is BAD_USER_INPUT, not a 500", async () => {
    await provider.expectBadUserInput("paytm", [
      { ...full, phone: 7777777777 },
      { ...full, scopes: [1, 2] },
      { ...full, scopes: { paytm: true } },
      { ...full, deviceIdentifier: undefined },
      { ...full, locale: null, extra: "field" },
    ]);
  });
});

describe("PAYTM adapter", () => {
  const http = new UpstreamClient({ timeoutMs: 2000, maxBodyBytes: 64 * 1024 });
  let upstream: Upstream;
  beforeAll(async () => {
    upstream = await startUpstream(json(200, seedBody("BE1400001")));
  });
  afterAll(() => upstream.close());

  it("keeps a base URL's path prefix, and keys on the bare mobile and the device", async () => {
    const adapter = createPaytmAdapter(
      paytmProvider.binding,
      {
        baseUrl: `${upstream.url}/accounts/`,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        scopes: ["p"],
      },
      http,
    );
    const parsed = adapter.parse(input);
    if (!parsed.ok) throw new Error("fixture input must be valid");
    expect(adapter.destination(parsed.value)).toEqual({
      key: "7777777777",
      hint: "******7777",
      phone: { e164: "+917777777777", field: "paytm.phone" },
    });
    expect(adapter.device(parsed.value)).toBe("8c4afbfab1ae0bd4");
    expect(await adapter.send(parsed.value)).toMatchObject({ kind: "sent", providerReference: STATE_TOKEN });
    expect(upstream.requests.at(-1)?.url).toBe(`/accounts${PAYTM_PATH}?locale=en-IN`);
  });
});

describe("PAYTM input validation", () => {
  it("reports every failing field at once", () => {
    expect(
      parsePaytmInput(
        paytmProvider.binding,
        {
          phone: "12345",
          deviceIdentifier: "",
          scopes: ["", "x".repeat(65)],
          autoReadHash: "a b",
          locale: "en",
        },
        ["paytm"],
      ),
    ).toEqual({
      ok: false,
      fieldErrors: [
        { field: "paytm.phone", message: "Not an Indian mobile number (10 digits starting 6–9)." },
        { field: "paytm.deviceIdentifier", message: "Required." },
        { field: "paytm.scopes.0", message: "Required." },
        { field: "paytm.scopes.1", message: "At most 64 characters." },
        { field: "paytm.autoReadHash", message: "Printable ASCII characters only, no spaces." },
        { field: "paytm.locale", message: "Paytm documents only en-IN." },
      ],
    });
  });

  it("refuses to send with no scopes at all", () => {
    expect(parsePaytmInput(paytmProvider.binding, input, [])).toEqual({
      ok: false,
      fieldErrors: [{ field: "paytm.scopes", message: "Required: this server has no default scopes." }],
    });
  });
});

describe("PAYTM sandbox", () => {
  const subgraph = useTestApp(NO_LOCAL_LIMITS);

  it("a scope the sandbox's PAYTM_SCOPES lacks is InvalidInput on paytm.scopes, never sent", async () => {
    expect(PAYTM_SANDBOX_ALLOWED_SCOPES).not.toContain("gold");
    const { body } = await execute(subgraph.url, RequestOtpDocument, {
      input: { paytm: { ...input, scopes: ["wallet", "gold"] } },
    });
    expect(body.data?.requestOtp).toMatchObject({
      __typename: "InvalidInput",
      providerCode: null,
      fieldErrors: [{ field: "paytm.scopes" }],
    });
  });
});
