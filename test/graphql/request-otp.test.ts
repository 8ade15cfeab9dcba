import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { execute, post } from "../helpers/client.js";
import { json, startUpstream, type Upstream } from "../helpers/upstream.js";

describe("requestOtp over HTTP, sandbox mode", () => {
  let subgraph: TestApp;
  beforeAll(async () => {
    subgraph = await startTestApp();
  });
  afterAll(() => subgraph.close());

  it("sends a PHONE OTP and shows devOtp", async () => {
    const before = Date.now();
    const { status, body } = await execute(subgraph.url, RequestOtpDocument, {
      input: { phone: { phone: "+91 98765 43210", country: "IN", deviceId: "device-1" } },
    });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const result = body.data?.requestOtp;
    if (result?.__typename !== "OtpSent") throw new Error(`expected OtpSent, got ${JSON.stringify(result)}`);
    const { challenge } = result;
    expect(challenge.provider).toBe("PHONE");
    expect(challenge.destinationHint).toBe("********3210");
    expect(challenge.devOtp).toMatch(/^\d{6}$/);
    expect(challenge.id).toMatch(/^[\w-]{24}$/);
    expect(challenge.providerMessage).toBe("request processed successfully");
    const sentAt = Date.parse(challenge.sentAt);
    expect(sentAt).toBeGreaterThanOrEqual(before - 1000);
    // The sandbox relaxes the 30 s cooldown to 1 s unless OTP_COOLDOWN_SECONDS is set.
    expect(Date.parse(challenge.resendAvailableAt) - sentAt).toBe(1_000);
    expect(challenge.expiresAt).toBeNull();
  });

  it("reaches the provider's documented failures through the sandbox's magic numbers", async () => {
    const invalid = await execute(subgraph.url, RequestOtpDocument, {
      input: { phone: { phone: "+919876500400", country: "IN", deviceId: "device-2" } },
    });
    expect(invalid.body.data?.requestOtp).toMatchObject({ __typename: "InvalidInput", providerCode: "400" });
    const limited = await execute(subgraph.url, RequestOtpDocument, {
      input: { phone: { phone: "+919876500429", country: "IN", deviceId: "device-3" } },
    });
    expect(limited.body.data?.requestOtp).toMatchObject({
      __typename: "RateLimited",
      limitedBy: "PROVIDER",
      retryAfterSeconds: 60,
      providerCode: "429",
    });
  });

  it("two members set, or none, is BAD_USER_INPUT", async () => {
    for (const input of [
      {
        phone: { phone: "+919876543210", country: "IN", deviceId: "d" },
        itr: { pan: "ABCPE1234F", password: "p" },
      },
      {},
    ]) {
      const { status, body } = await post(subgraph.url, {
        query: "mutation ($input: RequestOtpInput!) { requestOtp(input: $input) { __typename } }",
        variables: { input },
      });
      expect(status).toBe(200);
      expect(body.data).toBeUndefined();
      expect(body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(body.errors?.[0]?.message).toContain("RequestOtpInput");
    }
  });

  it.each([
    [
      '{ phone: { phone: "+919876543210", country: "IN", deviceId: "d" }, gst: { gstin: "x", username: "y" } }',
      'OneOf Input Object "RequestOtpInput" must specify exactly one key.',
    ],
    ["{}", 'OneOf Input Object "RequestOtpInput" must specify exactly one key.'],
    ["{ gst: null }", 'Field "RequestOtpInput.gst" must be non-null.'],
  ])("a oneOf violation written in the document (%s) is BAD_USER_INPUT too", async (input, message) => {
    const { status, body } = await post(subgraph.url, {
      query: `mutation { requestOtp(input: ${input}) { __typename } }`,
    });
    expect(status).toBe(200);
    expect(body.errors?.map((error) => [error.message, error.extensions?.code])).toEqual([
      [message, "BAD_USER_INPUT"],
    ]);
  });

  it("serves /healthz and /readyz", async () => {
    const base = subgraph.url.replace("/graphql", "");
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it("refuses a request body over the size limit without running it", async () => {
    const { status } = await post(subgraph.url, { query: `{ __typename }`, padding: "x".repeat(70_000) });
    expect(status).toBe(413);
  });
});

describe("requestOtp over HTTP, live mode against a loopback PHONE provider", () => {
  let upstream: Upstream;
  let subgraph: TestApp;
  beforeAll(async () => {
    upstream = await startUpstream(json(200, { success: true, message: "ok", data: { otp: 123456 } }));
    subgraph = await startTestApp({ PHONE_BASE_URL: upstream.url });
  });
  afterAll(async () => {
    await subgraph.close();
    await upstream.close();
  });

  it("never shows devOtp outside sandbox mode", async () => {
    const { body } = await execute(subgraph.url, RequestOtpDocument, {
      input: { phone: { phone: "+919876543210", country: "IN", deviceId: "device-1" } },
    });
    expect(body.data?.requestOtp).toMatchObject({ __typename: "OtpSent", challenge: { devOtp: null } });
  });

  it("answers InvalidInput with every failing field, and calls no upstream, for a bad phone or a country mismatch", async () => {
    upstream.requests.length = 0;
    const bad = await execute(subgraph.url, RequestOtpDocument, {
      input: { phone: { phone: "12345", country: "IN", deviceId: "" } },
    });
    expect(bad.body.data?.requestOtp).toEqual({
      __typename: "InvalidInput",
      provider: "PHONE",
      providerCode: null,
      retryable: false,
      message: "Some fields are not valid.",
      fieldErrors: [
        { field: "phone.deviceId", message: "Required." },
        {
          field: "phone.phone",
          message: "Not a valid phone number in international format (E.164, e.g. +919876543210).",
        },
      ],
    });
    const mismatch = await execute(subgraph.url, RequestOtpDocument, {
      input: { phone: { phone: "+14155552671", country: "IN", deviceId: "device-1" } },
    });
    expect(mismatch.body.data?.requestOtp).toMatchObject({
      __typename: "InvalidInput",
      fieldErrors: [{ field: "phone.phone", message: "Not a phone number of IN." }],
    });
    expect(upstream.requests).toHaveLength(0);
  });

  it("answers ProviderUnavailable, not retryable, for a provider that is not configured", async () => {
    const { body } = await execute(subgraph.url, RequestOtpDocument, {
      input: { itr: { pan: "ABCPE1234F", password: "secret" } },
    });
    expect(body.data?.requestOtp).toMatchObject({
      __typename: "ProviderUnavailable",
      provider: "ITR",
      retryable: false,
      providerCode: null,
    });
  });
});

describe("OtpChallenge as an entity", () => {
  let subgraph: TestApp;
  beforeAll(async () => {
    subgraph = await startTestApp();
  });
  afterAll(() => subgraph.close());

  it("resolves a sent challenge by id through _entities, with providerReference, and unknown ids to null", async () => {
    const sent = await execute(subgraph.url, RequestOtpDocument, {
      input: { phone: { phone: "+919876543211", country: "IN", deviceId: "device-9" } },
    });
    const result = sent.body.data?.requestOtp;
    if (result?.__typename !== "OtpSent") throw new Error("expected OtpSent");
    const { body } = await post<{ _entities: unknown[] }>(subgraph.url, {
      query: `query ($representations: [_Any!]!) { _entities(representations: $representations) {
        ... on OtpChallenge { id provider destinationHint providerReference devOtp } } }`,
      variables: {
        representations: [
          { __typename: "OtpChallenge", id: result.challenge.id },
          { __typename: "OtpChallenge", id: "unknown" },
          { __typename: "OtpChallenge" },
        ],
      },
    });
    expect(body.errors).toBeUndefined();
    expect(body.data?._entities).toEqual([
      {
        id: result.challenge.id,
        provider: "PHONE",
        destinationHint: "********3211",
        providerReference: null,
        devOtp: null,
      },
      null,
      null,
    ]);
  });

  it("reads a challenge back with otpChallenge(id), without the OTP; unknown ids are null", async () => {
    const sent = await execute(subgraph.url, RequestOtpDocument, {
      input: { phone: { phone: "+919876543212", country: "IN", deviceId: "device-10" } },
    });
    const result = sent.body.data?.requestOtp;
    if (result?.__typename !== "OtpSent") throw new Error("expected OtpSent");
    expect(result.challenge.devOtp).toMatch(/^\d{6}$/);
    const query =
      "query ($id: ID!) { otpChallenge(id: $id) { id destinationHint resendAvailableAt devOtp } }";
    const found = await post<{ otpChallenge: unknown }>(subgraph.url, {
      query,
      variables: { id: result.challenge.id },
    });
    expect(found.body.data?.otpChallenge).toEqual({
      id: result.challenge.id,
      destinationHint: "********3212",
      resendAvailableAt: result.challenge.resendAvailableAt,
      devOtp: null,
    });
    const unknown = await post<{ otpChallenge: unknown }>(subgraph.url, { query, variables: { id: "nope" } });
    expect(unknown.body.data).toEqual({ otpChallenge: null });
  });
});
