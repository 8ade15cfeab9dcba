import { Trace } from "@apollo/usage-reporting-protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GST_MAGIC_USERNAMES, GST_SANDBOX_GSTIN } from "../../src/providers/gst/sandbox.js";
import { ITR_MAGIC } from "../../src/providers/itr/sandbox.js";
import { PAYTM_MAGIC } from "../../src/providers/paytm/sandbox.js";
import { PHONE_MAGIC, PHONE_SANDBOX_RETRY_AFTER } from "../../src/providers/phone/sandbox.js";
import type { RequestOtpMutationVariables } from "../../examples/__generated__/graphql.js";
import { GraphQLRequestError, requestOtp } from "../../examples/request-otp.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { post } from "../helpers/client.js";
import { json, startUpstream, type Upstream } from "../helpers/upstream.js";
import { startGateway, type Gateway } from "./gateway.js";
import { startSupportSubgraph, supportReference, type SupportSubgraph } from "./support-subgraph.js";
import { otpSubgraph, supportSubgraph } from "./supergraph.js";

const phone = (national: string, deviceId = `device-${national}`) => ({
  phone: { phone: `+91${national}`, country: "IN", deviceId },
});

/** The oneOf message graphql-js gives for variables, and for a literal in the document. */
const ONE_OF_VARIABLE = 'Exactly one key must be specified for OneOf type "RequestOtpInput".';
const ONE_OF_LITERAL = 'OneOf Input Object "RequestOtpInput" must specify exactly one key.';

describe("a real @apollo/gateway over the OTP subgraph (sandbox) and a second subgraph", () => {
  let otp: TestApp;
  let support: SupportSubgraph;
  let gateway: Gateway;
  beforeAll(async () => {
    [otp, support] = await Promise.all([startTestApp(), startSupportSubgraph()]);
    gateway = await startGateway([await otpSubgraph(otp.url), await supportSubgraph(support.url)]);
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all([support.close(), otp.close()]);
  });

  const members: [string, RequestOtpMutationVariables, Record<string, unknown>][] = [
    [
      "OtpSent",
      { input: phone("9876543210") },
      { __typename: "OtpSent", challenge: { provider: "PHONE", destinationHint: "********3210" } },
    ],
    [
      "InvalidInput, raised here",
      { input: { phone: { phone: "12345", country: "IN", deviceId: "" } } },
      {
        __typename: "InvalidInput",
        providerCode: null,
        fieldErrors: [
          { field: "phone.deviceId", message: "Required." },
          { field: "phone.phone", message: expect.stringContaining("E.164") as unknown },
        ],
      },
    ],
    [
      "InvalidInput, from the provider",
      { input: phone(`98765${PHONE_MAGIC.invalidPhone}`) },
      { __typename: "InvalidInput", providerCode: "400", fieldErrors: [{ field: "phone.phone" }] },
    ],
    [
      "RateLimited",
      { input: phone(`98765${PHONE_MAGIC.tooManyRequests}`) },
      {
        __typename: "RateLimited",
        limitedBy: "PROVIDER",
        retryAfterSeconds: PHONE_SANDBOX_RETRY_AFTER,
        retryable: true,
      },
    ],
    [
      "AccountNotFound",
      { input: { gst: { gstin: GST_SANDBOX_GSTIN, username: GST_MAGIC_USERNAMES.notFound } } },
      { __typename: "AccountNotFound", provider: "GST", providerCode: "404", retryable: false },
    ],
    [
      "AccountBlocked",
      { input: { paytm: { phone: `98765${PAYTM_MAGIC.BE1424001}`, deviceIdentifier: "device-blocked" } } },
      { __typename: "AccountBlocked", provider: "PAYTM", providerCode: "BE1424001", retryable: false },
    ],
    [
      "ProviderAuthFailed",
      { input: { itr: { pan: `ABCPE${ITR_MAGIC.unauthorisedDigits}F`, password: "secret" } } },
      { __typename: "ProviderAuthFailed", provider: "ITR", providerCode: "401", retryable: false },
    ],
    [
      "ProviderUnavailable",
      { input: { itr: { pan: `ABCPE${ITR_MAGIC.serverErrorDigits}F`, password: "secret" } } },
      { __typename: "ProviderUnavailable", provider: "ITR", providerCode: "500", retryable: true },
    ],
  ];

  it.each(members)(
    "returns %s through the gateway, with one call to the OTP subgraph",
    async (_, variables, expected) => {
      gateway.calls.length = 0;
      const result = await requestOtp(gateway.url, variables);
      expect(result).toMatchObject(expected);
      expect(gateway.calls.map((call) => call.subgraph)).toEqual(["otp"]);
    },
  );

  it("turns a oneOf violation in variables into BAD_USER_INPUT with the oneOf message", async () => {
    for (const input of [{ ...phone("9876543212"), itr: { pan: "ABCPE1234F", password: "secret" } }, {}]) {
      const { status, body } = await post(gateway.url, {
        query: "mutation ($input: RequestOtpInput!) { requestOtp(input: $input) { __typename } }",
        variables: { input },
      });
      expect(status).toBe(200);
      expect(body.data ?? null).toBeNull();
      expect(body.errors).toHaveLength(1);
      expect(body.errors?.[0]?.message).toContain(ONE_OF_VARIABLE);
      expect(body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    }
    // What the example client (and so a frontend) sees.
    const error = await requestOtp(gateway.url, {
      input: {},
    } as unknown as RequestOtpMutationVariables).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GraphQLRequestError);
    expect(error).toMatchObject({
      code: "BAD_USER_INPUT",
      message: expect.stringContaining(ONE_OF_VARIABLE) as unknown,
    });
  });

  it("passes on the subgraph's oneOf error for a literal in the document, never INTERNAL_SERVER_ERROR", async () => {
    const { status, body } = await post(gateway.url, {
      query: `mutation { requestOtp(input: { phone: { phone: "+919876543213", country: "IN", deviceId: "d" }, gst: { gstin: "x", username: "y" } }) { __typename } }`,
    });
    expect(status).toBe(200);
    expect(body.errors).toHaveLength(1);
    expect(body.errors?.[0]?.message).toBe(ONE_OF_LITERAL);
    expect(body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("still answers HTTP 400 for a failed validation to a client that asks for application/graphql-response+json", async () => {
    const response = await fetch(otp.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
      body: JSON.stringify({ query: "mutation { requestOtp(input: {}) { __typename } }" }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { message: string }[] };
    expect(body.errors[0]?.message).toBe(ONE_OF_LITERAL);
  });

  it("refuses providerReference at the gateway: it is @inaccessible", async () => {
    const { body } = await post(gateway.url, {
      query: "{ signInAttempts { challenge { providerReference } } }",
    });
    expect(body.errors?.[0]?.message).toContain(
      'Cannot query field "providerReference" on type "OtpChallenge"',
    );
    expect(body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("resolves OtpChallenge fields for a query entering through the second subgraph, in one batched _entities call", async () => {
    const sent = [];
    for (const national of ["9876543221", "9876543222", "9876543223"]) {
      const result = await requestOtp(gateway.url, { input: phone(national) });
      if (result.__typename !== "OtpSent") throw new Error(`expected OtpSent, got ${result.__typename}`);
      sent.push(result.challenge);
    }
    support.attempts.push(...sent.map((challenge) => challenge.id));
    support.representations.length = 0;
    gateway.calls.length = 0;

    const { body } = await post<{ signInAttempts: unknown[] }>(gateway.url, {
      query: `{ signInAttempts { id challenge { id provider destinationHint resendAvailableAt supportReference } } }`,
    });
    expect(body.errors).toBeUndefined();
    expect(body.data?.signInAttempts).toEqual(
      [...sent].reverse().map((challenge, index) => ({
        id: `attempt-${sent.length - index}`,
        challenge: {
          id: challenge.id,
          provider: "PHONE",
          destinationHint: challenge.destinationHint,
          resendAvailableAt: challenge.resendAvailableAt,
          supportReference: null,
        },
      })),
    );

    const toOtp = gateway.calls.filter((call) => call.subgraph === "otp");
    expect(toOtp).toHaveLength(1);
    expect(toOtp[0]?.query).toContain("_entities(representations:$representations)");
    expect(toOtp[0]?.variables.representations).toEqual(
      [...sent].reverse().map(({ id }) => ({ __typename: "OtpChallenge", id })),
    );
    // @requires: the gateway fetched providerReference from the OTP subgraph and handed it to the second one
    // (PHONE documents no provider handle, so it is null).
    expect(support.representations).toEqual(
      [...sent].reverse().map(({ id }) => ({ __typename: "OtpChallenge", id, providerReference: null })),
    );
  });

  it("hands the provider's handle to the second subgraph through @requires, and only a fingerprint leaves it", async () => {
    const result = await requestOtp(gateway.url, {
      input: { gst: { gstin: "29ABCPE1234F1Z7", username: "user-1" } },
    });
    if (result.__typename !== "OtpSent") throw new Error(`expected OtpSent, got ${result.__typename}`);
    support.attempts.push(result.challenge.id);
    support.representations.length = 0;

    const { body } = await post<{
      signInAttempts: { challenge: { id: string; supportReference: string | null } }[];
    }>(gateway.url, { query: "{ signInAttempts { challenge { id supportReference } } }" });
    const [representation] = support.representations.filter(({ id }) => id === result.challenge.id);
    expect(representation?.providerReference).toMatch(/^[0-9a-f]{32}$/);
    expect(body.data?.signInAttempts[0]?.challenge).toEqual({
      id: result.challenge.id,
      supportReference: supportReference(representation?.providerReference ?? ""),
    });
  });

  it("sends no trace when the gateway does not ask for one", async () => {
    gateway.calls.length = 0;
    await requestOtp(gateway.url, { input: phone("9876543231") });
    expect(gateway.calls).toMatchObject([{ subgraph: "otp", ftv1: null }]);
  });

  describe("federated tracing", () => {
    let tracing: Gateway;
    beforeAll(async () => {
      tracing = await startGateway([await otpSubgraph(otp.url), await supportSubgraph(support.url)], {
        captureTraces: true,
      });
    });
    afterAll(() => tracing.close());

    it("answers ftv1 when the gateway asks with apollo-federation-include-trace", async () => {
      const result = await requestOtp(tracing.url, { input: phone("9876543232") });
      expect(result.__typename).toBe("OtpSent");
      const [call] = tracing.calls;
      expect(tracing.calls).toHaveLength(1);
      if (!call?.ftv1) throw new Error("the OTP subgraph sent no ftv1 trace");
      const trace = Trace.decode(Buffer.from(call.ftv1, "base64"));
      expect(trace.root?.child?.map((node) => node.responseName)).toEqual(["requestOtp"]);
      expect(trace.durationNs).toBeGreaterThan(0);
    });
  });
});

describe("a real @apollo/gateway over a live-mode OTP subgraph behind ROUTER_SECRET", () => {
  const ROUTER_SECRET = "router-secret-of-the-gateway-test-0123";
  let upstream: Upstream;
  let otp: TestApp;
  let support: SupportSubgraph;
  let gateway: Gateway;
  beforeAll(async () => {
    [upstream, support] = await Promise.all([startUpstream(), startSupportSubgraph()]);
    otp = await startTestApp({ PHONE_BASE_URL: upstream.url, ROUTER_SECRET: ROUTER_SECRET });
    gateway = await startGateway([await otpSubgraph(otp.url), await supportSubgraph(support.url)], {
      subgraphHeaders: { "router-authorization": ROUTER_SECRET },
    });
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all([support.close(), otp.close(), upstream.close()]);
  });

  it("returns ProviderUnavailable for a 503 from the provider", async () => {
    upstream.respond(json(503, { message: "down" }));
    expect(await requestOtp(gateway.url, { input: phone("9876543241") })).toEqual({
      __typename: "ProviderUnavailable",
      provider: "PHONE",
      providerCode: "503",
      retryable: true,
      retryAfterSeconds: null,
      message: expect.any(String) as unknown,
    });
  });

  it("returns UnexpectedProviderResponse for a 200 no document describes", async () => {
    upstream.respond(json(200, "<html>maintenance</html>"));
    expect(await requestOtp(gateway.url, { input: phone("9876543242") })).toMatchObject({
      __typename: "UnexpectedProviderResponse",
      provider: "PHONE",
      providerCode: "200",
      retryable: false,
    });
  });

  it("reaches the subgraph only with the router secret", async () => {
    upstream.respond(json(200, { success: true, message: "ok", data: { otp: 123456 } }));
    expect(await requestOtp(gateway.url, { input: phone("9876543243") })).toMatchObject({
      __typename: "OtpSent",
      challenge: { devOtp: null },
    });
    const direct = await post(otp.url, { query: "{ __typename }" });
    expect(direct.status).toBe(401);
  });
});
