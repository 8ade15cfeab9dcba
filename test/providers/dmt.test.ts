import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestOtpDocument, type DmtOtpInput } from "../__generated__/graphql.js";
import { createDmtAdapter, DMT_PATH, DMT_RESPONSES } from "../../src/providers/dmt/adapter.js";
import { parseDmtInput } from "../../src/providers/dmt/input.js";
import { UpstreamClient } from "../../src/providers/http-client.js";
import { NO_LOCAL_LIMITS, useTestApp } from "../helpers/app.js";
import { execute, post } from "../helpers/client.js";
import { itRefusesEach, useLoopbackProvider, type BadInput } from "../helpers/loopback-provider.js";
import { json, startUpstream, type Upstream, type UpstreamHandler } from "../helpers/upstream.js";
import { cases, CLIENT_ID, CLIENT_SECRET, REGISTRATION, REGISTRATION_WIRE } from "./dmt.cases.js";
import { dmt as dmtProvider } from "../../src/providers/dmt/index.js";

type DmtCode = (typeof DMT_RESPONSES)[number]["code"];

/** A valid Aadhaar (Verhoeff check digit 4). */
const AADHAAR = "234567890124";

const transaction = {
  customerMobileNumber: "08144094480",
  otpType: "TRANSACTION",
  username: "isutestapi1",
  externalRefNumber: "1432452",
  requestedAmount: "1001",
  ovdType: "Aadhaar Card",
} satisfies DmtOtpInput;
const transactionWire = {
  customerMobileNumber: "8144094480",
  externalRefNumber: "1432452",
  requestedAmount: "1001",
  username: "isutestapi1",
  otpType: "2",
  ovdType: "Aadhaar Card",
};

/** The seed's sample bodies, per statusCode. */
const SEED_BODY: Record<DmtCode, Record<string, string>> = {
  "0": {
    status: "SUCCESS",
    statusCode: "0",
    statusDesc: "OTP Sent Successfully.",
    paramA: " ",
    paramB: " ",
    paramC: " ",
  },
  "-1": {
    status: "FAILED",
    statusCode: "-1",
    statusDesc: "Requested Amount Must Not be EMPTY Or Only Number Allowed",
    paramA: "",
    paramB: "",
    paramC: "",
  },
  "1": {
    status: "FAILED",
    statusCode: "1",
    statusDesc: "Failed to send OTP",
    paramA: "",
    paramB: "",
    paramC: "",
  },
};

/** CONTRACT.md's rows for DMT failures, written out independently of the adapter's table. */
const CONTRACT_FAILURES: Partial<Record<DmtCode, Record<string, unknown>>> = {
  "-1": { __typename: "InvalidInput", providerCode: "-1", retryable: false, fields: ["dmt.requestedAmount"] },
  "1": { __typename: "ProviderUnavailable", providerCode: "1", retryable: true, retryAfterSeconds: null },
};

/** A TRANSACTION and its wire body with a reference number not used before (a repeat is refused locally). */
let nextReference = 5_000_000;
function freshTransaction() {
  const externalRefNumber = String(nextReference++);
  return [
    { ...transaction, externalRefNumber },
    { ...transactionWire, externalRefNumber },
  ] as const;
}

function expectedFailure(row: (typeof DMT_RESPONSES)[number]) {
  const { fields, ...contract } = CONTRACT_FAILURES[row.code] ?? {};
  const message = "message" in row ? row.message : row.documented;
  return {
    ...contract,
    provider: "DMT",
    message,
    ...(Array.isArray(fields) && { fieldErrors: fields.map((field: unknown) => ({ field, message })) }),
  };
}

describe("DMT over HTTP against a loopback iServeU: every documented response", () => {
  const provider = useLoopbackProvider(cases.env);
  const send = (dmt: DmtOtpInput, answer: UpstreamHandler) => provider.send({ dmt }, answer);

  function expectDocumentedRequest(wire: Record<string, string>) {
    expect(provider.upstream.requests).toHaveLength(1);
    const [request] = provider.upstream.requests;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe(DMT_PATH);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.headers.client_id).toBe(CLIENT_ID);
    expect(request?.headers.client_secret).toBe(CLIENT_SECRET);
    expect(request?.json).toEqual(wire);
  }

  it("covers exactly the rows CONTRACT.md lists", () => {
    expect(DMT_RESPONSES.map((row) => row.code)).toEqual(["0", "-1", "1"]);
    const failures = DMT_RESPONSES.filter((row) => row.outcome !== "OtpSent").map((row) => row.code);
    expect(failures.sort()).toEqual(Object.keys(CONTRACT_FAILURES).sort());
  });

  it('statusCode "0" for CUSTOMER_REGISTRATION: expires in 10 min, resend after 30 s, 5 attempts', async () => {
    const { result, body } = await send(REGISTRATION, json(200, SEED_BODY["0"]));
    expectDocumentedRequest(REGISTRATION_WIRE);
    if (result?.__typename !== "OtpSent") throw new Error(`expected OtpSent, got ${JSON.stringify(result)}`);
    const { challenge } = result;
    const sentAt = Date.parse(challenge.sentAt);
    expect(challenge).toMatchObject({
      provider: "DMT",
      destinationHint: "******3210",
      attemptsAllowed: 5,
      providerMessage: "OTP Sent Successfully.",
      devOtp: null,
    });
    expect(Date.parse(challenge.expiresAt ?? "")).toBe(sentAt + 600_000);
    expect(Date.parse(challenge.resendAvailableAt)).toBe(sentAt + 30_000);
    expect(JSON.stringify(body)).not.toContain(AADHAAR);

    const reference = await entity(challenge.id);
    expect(reference).toMatchObject({ providerReference: null, destinationHint: "******3210" });
    expect(JSON.stringify(reference)).not.toContain(AADHAAR);
  });

  it('statusCode "0" for TRANSACTION: providerReference is the externalRefNumber, no documented validity', async () => {
    const { result } = await send(transaction, json(200, SEED_BODY["0"]));
    expectDocumentedRequest(transactionWire);
    if (result?.__typename !== "OtpSent") throw new Error(`expected OtpSent, got ${JSON.stringify(result)}`);
    expect(result.challenge).toMatchObject({
      provider: "DMT",
      destinationHint: "******4480",
      expiresAt: null,
      attemptsAllowed: null,
      resendAvailableAt: result.challenge.sentAt,
    });
    expect(await entity(result.challenge.id)).toMatchObject({ providerReference: "1432452" });
  });

  for (const row of DMT_RESPONSES.filter((r) => r.outcome !== "OtpSent")) {
    for (const httpStatus of [200, 400, 500]) {
      it(`statusCode "${row.code}" with HTTP ${httpStatus} is ${row.outcome}`, async () => {
        const [input, wire] = freshTransaction();
        const { result } = await send(input, json(httpStatus, SEED_BODY[row.code]));
        expectDocumentedRequest(wire);
        expect(result).toEqual(expectedFailure(row));
      });
    }
  }

  async function entity(id: string) {
    const { body } = await post<{ _entities: Record<string, unknown>[] }>(provider.subgraph.url, {
      query: `query ($r: [_Any!]!) { _entities(representations: $r) {
        ... on OtpChallenge { id provider destinationHint providerReference } } }`,
      variables: { r: [{ __typename: "OtpChallenge", id }] },
    });
    return body.data?._entities[0];
  }
});

describe("DMT bad input over HTTP: never a 500, never an upstream call", () => {
  const provider = useLoopbackProvider(cases.env, json(200, SEED_BODY["0"]));

  const transactionAll = { ...transaction, ovdData: AADHAAR, latLong: "1,2", publicIp: "::1", paramA: "a" };
  const stringFields = [
    "customerMobileNumber",
    "username",
    "externalRefNumber",
    "requestedAmount",
    "ovdType",
    "ovdData",
    "latLong",
    "publicIp",
    "paramA",
    "paramB",
    "paramC",
  ] as const;
  const badInputs: BadInput<DmtOtpInput>[] = [
    ...stringFields.map((field): [string, DmtOtpInput, string] => [
      `a 10 kB ${field}`,
      { ...transactionAll, [field]: "9".repeat(10_240) },
      field,
    ]),
    ...stringFields.map((field): [string, DmtOtpInput, string] => [
      `a control character in ${field}`,
      { ...transactionAll, [field]: "12\u000034" },
      field,
    ]),
    ...(["customerMobileNumber", "username", "ovdType", "externalRefNumber", "requestedAmount"] as const).map(
      (field): [string, DmtOtpInput, string] => [
        `an empty ${field}`,
        { ...transaction, [field]: "  " },
        field,
      ],
    ),
    ["no ovdData for CUSTOMER_REGISTRATION", { ...REGISTRATION, ovdData: null }, "ovdData"],
    [
      "fullwidth digits in the mobile",
      { ...transaction, customerMobileNumber: "９８７６５４３２１０" },
      "customerMobileNumber",
    ],
    ["Devanagari digits in the amount", { ...transaction, requestedAmount: "१००१" }, "requestedAmount"],
    ["an emoji in the reference", { ...transaction, externalRefNumber: "ref🙂12345" }, "externalRefNumber"],
    ["Arabic-Indic digits in the Aadhaar", { ...REGISTRATION, ovdData: "٢٣٤٥٦٧٨٩٠١٢٤" }, "ovdData"],
    ["an Aadhaar with a wrong check digit", { ...REGISTRATION, ovdData: "234567890128" }, "ovdData"],
    ["a latLong beyond 180", { ...REGISTRATION, latLong: "180.0001,21.345" }, "latLong"],
    ["a latLong with 16 decimals", { ...REGISTRATION, latLong: "12.9716000000000001,77.5946" }, "latLong"],
    ["a latLong of three numbers", { ...REGISTRATION, latLong: "12.97,77.59,3" }, "latLong"],
    ["a hostname as publicIp", { ...REGISTRATION, publicIp: "example.com" }, "publicIp"],
  ];

  itRefusesEach(provider, "DMT", "dmt", badInputs, (refused) => {
    expect(JSON.stringify(refused.body)).not.toContain("234567890128");
  });

  it("a wrong enum, a number for a string, or a missing field is BAD_USER_INPUT, not a 500", async () => {
    await provider.expectBadUserInput("dmt", [
      { ...transaction, otpType: "REFUND" },
      { ...transaction, otpType: "1" },
      { ...transaction, customerMobileNumber: 9876543210 },
      { ...transaction, otpType: undefined },
      { ...transaction, paramA: ["a"] },
    ]);
  });
});

describe("DMT replies as iServeU may write them, and local checks no stricter than the document", () => {
  const provider = useLoopbackProvider(cases.env);
  const reply = (
    statusCode: unknown,
    statusDesc: string,
    status = statusCode === "0" || statusCode === 0 ? "SUCCESS" : "FAILED",
  ) => json(200, { status, statusCode, statusDesc, paramA: "", paramB: "", paramC: "" });

  it.each([
    ["0 as a number", reply(0, "OTP Sent Successfully."), "OtpSent"],
    ['" 0 " with status in lower case', reply(" 0 ", "OTP Sent Successfully.", "success"), "OtpSent"],
    [
      "-1 as a number",
      reply(-1, "Requested Amount Must Not be EMPTY Or Only Number Allowed"),
      "InvalidInput",
    ],
    ["1 as a number", reply(1, "Failed to send OTP"), "ProviderUnavailable"],
  ])("statusCode %s is the documented row", async (_name, answer, typename) => {
    const [input] = freshTransaction();
    const { result } = await provider.send({ dmt: input }, answer);
    expect(result?.__typename).toBe(typename);
  });

  it('"-1" names dmt.requestedAmount only when statusDesc is about the amount', async () => {
    const [amount] = freshTransaction();
    const about = await provider.send({ dmt: amount }, reply("-1", "requested amount must not be empty."));
    expect(about.result).toMatchObject({
      __typename: "InvalidInput",
      providerCode: "-1",
      fieldErrors: [{ field: "dmt.requestedAmount" }],
    });
    const [other] = freshTransaction();
    const { result } = await provider.send(
      { dmt: other },
      reply("-1", "Invalid username isutestapi1 for 8144094480 <script>x</script>\u0007"),
    );
    expect(result).toMatchObject({
      __typename: "InvalidInput",
      providerCode: "-1",
      retryable: false,
      message: "Invalid username [redacted] for [redacted] x",
      fieldErrors: [],
    });
  });

  it("sends the document's own latLong sample and a browser's 15 decimals as given; any printable reference", async () => {
    for (const latLong of ["123.23,21.345", "12.971598700000001, 77.594562599999993", "-33.8688,-151.2093"]) {
      const { result } = await provider.send(
        { dmt: { ...REGISTRATION, latLong } },
        json(200, SEED_BODY["0"]),
      );
      expect(result?.__typename, latLong).toBe("OtpSent");
      expect(provider.upstream.requests[0]?.json).toMatchObject({ latLong });
    }
    const { result } = await provider.send(
      { dmt: { ...transaction, externalRefNumber: `TXN-${String(nextReference++)}/A` } },
      json(200, SEED_BODY["0"]),
    );
    expect(result?.__typename).toBe("OtpSent");
  });
});

describe("DMT adapter", () => {
  const http = new UpstreamClient({ timeoutMs: 2000, maxBodyBytes: 64 * 1024 });
  let upstream: Upstream;
  beforeAll(async () => {
    upstream = await startUpstream(json(200, SEED_BODY["0"]));
  });
  afterAll(() => upstream.close());

  it("appends the path to a base URL that has a path prefix and a trailing slash", async () => {
    const adapter = createDmtAdapter(
      dmtProvider.binding,
      { baseUrl: `${upstream.url}/dmt-gateway/`, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
      http,
    );
    const parsed = adapter.parse(transaction);
    if (!parsed.ok) throw new Error("fixture input must be valid");
    expect(await adapter.send(parsed.value)).toMatchObject({ kind: "sent", providerReference: "1432452" });
    expect(upstream.requests.at(-1)?.url).toBe(`/dmt-gateway${DMT_PATH}`);
  });

  it("is keyed on the bare mobile, masked in the hint, a phone for the phone policy, with no device", () => {
    const adapter = createDmtAdapter(
      dmtProvider.binding,
      { baseUrl: upstream.url, clientId: "i", clientSecret: "s" },
      http,
    );
    const parsed = adapter.parse(REGISTRATION);
    if (!parsed.ok) throw new Error("fixture input must be valid");
    expect(adapter.destination(parsed.value)).toEqual({
      key: "9876543210",
      hint: "******3210",
      phone: { e164: "+919876543210", field: "dmt.customerMobileNumber" },
    });
    expect(adapter.device(parsed.value)).toBeNull();
  });
});

describe("DMT input validation", () => {
  it("normalises the documented notations and omits what was not given", () => {
    expect(parseDmtInput(dmtProvider.binding, REGISTRATION)).toEqual({ ok: true, value: REGISTRATION_WIRE });
    expect(parseDmtInput(dmtProvider.binding, { ...transaction, latLong: " ", paramB: "" })).toEqual({
      ok: true,
      value: transactionWire,
    });
  });

  it("takes any ovdData for a document that is not Aadhaar, and an Aadhaar only with its check digit", () => {
    expect(
      parseDmtInput(dmtProvider.binding, { ...REGISTRATION, ovdType: "Voter ID", ovdData: "ABC1234567" }),
    ).toMatchObject({
      ok: true,
      value: { ovdType: "Voter ID", ovdData: "ABC1234567" },
    });
    for (const ovdType of ["Aadhaar Card", "AADHAR", "aadhaar"]) {
      expect(
        parseDmtInput(dmtProvider.binding, { ...REGISTRATION, ovdType, ovdData: "134567890124" }).ok,
      ).toBe(false);
    }
  });

  it("reports every failing field at once, and never echoes the Aadhaar number", () => {
    const result = parseDmtInput(dmtProvider.binding, {
      customerMobileNumber: "5876543210",
      otpType: "TRANSACTION",
      username: "",
      externalRefNumber: "12345",
      requestedAmount: "10.50",
      ovdType: "Aadhaar Card",
      ovdData: "234567890128",
      latLong: "181,0",
      publicIp: "256.0.0.1",
      paramA: "x".repeat(101),
    });
    expect(result).toEqual({
      ok: false,
      fieldErrors: [
        {
          field: "dmt.customerMobileNumber",
          message: "Not an Indian mobile number (10 digits starting 6–9).",
        },
        { field: "dmt.username", message: "Required." },
        { field: "dmt.externalRefNumber", message: "6 to 22 printable characters, no spaces." },
        { field: "dmt.requestedAmount", message: "Digits only." },
        {
          field: "dmt.ovdData",
          message: "Not a valid Aadhaar number (12 digits, the first 2–9, with its check digit).",
        },
        {
          field: "dmt.latLong",
          message: "Must be two decimal numbers within ±180, comma-separated, e.g. `123.23,21.345`.",
        },
        { field: "dmt.publicIp", message: "Not an IPv4 or IPv6 address." },
        { field: "dmt.paramA", message: "At most 100 characters." },
      ],
    });
  });

  it("requires what each OTP type documents as mandatory", () => {
    const fields = (input: DmtOtpInput) => {
      const result = parseDmtInput(dmtProvider.binding, input);
      return result.ok ? [] : result.fieldErrors.map((error) => error.field);
    };
    expect(fields({ ...transaction, externalRefNumber: null, requestedAmount: null })).toEqual([
      "dmt.externalRefNumber",
      "dmt.requestedAmount",
    ]);
    expect(fields({ ...REGISTRATION, ovdData: undefined })).toEqual(["dmt.ovdData"]);
    expect(fields({ ...REGISTRATION, externalRefNumber: null, requestedAmount: null })).toEqual([]);
  });
});

describe("DMT sandbox", () => {
  const subgraph = useTestApp(NO_LOCAL_LIMITS);

  it("a TRANSACTION with a valid amount is sent; its reference number again is refused, nothing sent", async () => {
    const [dmt] = freshTransaction();
    const first = await execute(subgraph.url, RequestOtpDocument, { input: { dmt } });
    expect(first.body.data?.requestOtp).toMatchObject({
      __typename: "OtpSent",
      challenge: { attemptsAllowed: null },
    });
    const again = await execute(subgraph.url, RequestOtpDocument, { input: { dmt } });
    expect(again.body.data?.requestOtp).toMatchObject({
      __typename: "InvalidInput",
      providerCode: null,
      fieldErrors: [{ field: "dmt.externalRefNumber" }],
    });
  });
});
