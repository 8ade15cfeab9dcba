import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { UpstreamClient } from "../../src/providers/http-client.js";
import { createGstAdapter } from "../../src/providers/gst/adapter.js";
import { parseGstInput } from "../../src/providers/gst/input.js";
import { GENERIC_RESPONSES } from "../../src/providers/mapping-tables.js";
import { refusedLocally } from "../helpers/refused-locally.js";
import { NO_LOCAL_LIMITS, startTestApp, type TestApp } from "../helpers/app.js";
import { execute, post } from "../helpers/client.js";
import { json, refusedUrl, startUpstream, type Upstream } from "../helpers/upstream.js";
import { cases } from "./gst.cases.js";

const INPUT = { gstin: " 27aapfu0939f1zv ", username: "taxpayer.one" };
const SENT = cases.rows["200"]?.reply ?? { status: 0, body: null };
const [FAULT] = GENERIC_RESPONSES;

describe("GST over HTTP against a loopback provider", () => {
  let upstream: Upstream;
  let subgraph: TestApp;
  beforeAll(async () => {
    upstream = await startUpstream();
    subgraph = await startTestApp({
      ...cases.env(upstream.url),
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

  it("keeps appKey as the challenge's providerReference, for other subgraphs", async () => {
    const result = await requestOtp(json(SENT.status, SENT.body));
    if (result?.__typename !== "OtpSent") throw new Error(`expected OtpSent, got ${JSON.stringify(result)}`);
    const { body } = await post<{ _entities: unknown[] }>(subgraph.url, {
      query: `query ($r: [_Any!]!) { _entities(representations: $r) { ... on OtpChallenge { providerReference } } }`,
      variables: { r: [{ __typename: "OtpChallenge", id: result.challenge.id }] },
    });
    expect(body.data?._entities).toEqual([{ providerReference: "app-key-3f9a" }]);
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
      { baseUrl: await refusedUrl(), otpPath: "/otp", loginPath: "/login", accessToken: "token" },
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
    const upstream = await startUpstream(json(SENT.status, SENT.body));
    try {
      const http = new UpstreamClient({ timeoutMs: 1000, maxBodyBytes: 64 * 1024 });
      const adapter = createGstAdapter(
        { baseUrl: `${upstream.url}/v2`, otpPath: "/otp", loginPath: "/login", accessToken: "token" },
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
