import { describe, expect, it } from "vitest";
import { UpstreamClient } from "../../src/providers/http-client.js";
import { createGstAdapter } from "../../src/providers/gst/adapter.js";
import { parseGstInput } from "../../src/providers/gst/input.js";
import { GENERIC_RESPONSES } from "../../src/providers/mapping-tables.js";
import { post } from "../helpers/client.js";
import { useLoopbackProvider } from "../helpers/loopback-provider.js";
import { json, refusedUrl, startUpstream } from "../helpers/upstream.js";
import { cases } from "./gst.cases.js";
import { gst as gstProvider } from "../../src/providers/gst/index.js";

const INPUT = { gstin: " 27aapfu0939f1zv ", username: "taxpayer.one" };
const SENT = cases.rows["200"]?.reply ?? { status: 0, body: null };
const [FAULT] = GENERIC_RESPONSES;

describe("GST over HTTP against a loopback provider", () => {
  const provider = useLoopbackProvider(cases.env);

  it("keeps appKey as the challenge's providerReference, for other subgraphs", async () => {
    const { result } = await provider.send({ gst: INPUT }, json(SENT.status, SENT.body));
    if (result?.__typename !== "OtpSent") throw new Error(`expected OtpSent, got ${JSON.stringify(result)}`);
    const { body } = await post<{ _entities: unknown[] }>(provider.subgraph.url, {
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
    for (const [input, fields] of cases) {
      const refused = await provider.refused({ gst: input }, "GST");
      expect(refused.fields.sort(), JSON.stringify(input).slice(0, 80)).toEqual([...fields].sort());
    }
  });

  it("wrong types are BAD_USER_INPUT, not a 500, and never reach the provider", async () => {
    await provider.expectBadUserInput("gst", [
      { gstin: 27, username: "taxpayer.one" },
      { gstin: "27AAPFU0939F1ZV" },
      { gstin: null, username: "taxpayer.one" },
      { gstin: ["27AAPFU0939F1ZV"], username: "taxpayer.one" },
      { gstin: "27AAPFU0939F1ZV", username: "taxpayer.one", extra: true },
      "27AAPFU0939F1ZV",
    ]);
  });
});

describe("GST 404: AccountNotFound for any JSON error, ProviderUnavailable only for a plainly missing route", () => {
  // A breaker that stays closed through the table: each 404 is mapped on its own.
  const provider = useLoopbackProvider((url) => ({ ...cases.env(url), OTP_BREAKER_FAILURES: "1000" }));
  const PATH = "/aggregator/gstr/otp";

  it.each([
    [
      "{error: {…}} (LoopBack)",
      { error: { statusCode: 404, name: "Error", message: "not found" } },
      "AccountNotFound",
    ],
    ['{error: "…"}', { error: "GSTIN not registered" }, "AccountNotFound"],
    ["{message}", { message: "No taxpayer with this username" }, "AccountNotFound"],
    ["Express's JSON Cannot POST", { error: `Cannot POST ${PATH}` }, "ProviderUnavailable"],
    [
      "Fastify's route not found",
      { message: `Route POST:${PATH} not found`, error: "Not Found" },
      "ProviderUnavailable",
    ],
    [
      "Spring's error naming the path",
      { status: 404, error: "Not Found", path: PATH },
      "ProviderUnavailable",
    ],
    ["a JSON error quoting the path", { error: `nothing at ${PATH}` }, "ProviderUnavailable"],
    ["HTML", "<html><body><h1>404 Not Found</h1></body></html>", "ProviderUnavailable"],
    ["plain text", "Not Found", "ProviderUnavailable"],
    ["no body", "", "ProviderUnavailable"],
    ["a JSON object that is no error", { status: 404 }, "UnexpectedProviderResponse"],
  ])("%s", async (_name, body, typename) => {
    const { result } = await provider.send({ gst: INPUT }, json(404, body));
    expect(result).toMatchObject({ __typename: typename, providerCode: "404" });
  });
});

describe("GST 404 and the circuit breaker", () => {
  const provider = useLoopbackProvider((url) => ({ ...cases.env(url), OTP_BREAKER_FAILURES: "2" }));

  it("AccountNotFound never opens the breaker (unknown GSTINs cannot shut GST for everyone); a wrong path does", async () => {
    for (let sent = 0; sent < 5; sent++) {
      const { result } = await provider.send({ gst: INPUT }, json(404, { error: "GSTIN not registered" }));
      expect(result?.__typename).toBe("AccountNotFound");
    }
    const { result: after } = await provider.send({ gst: INPUT }, json(SENT.status, SENT.body));
    expect(after?.__typename).toBe("OtpSent");

    for (let sent = 0; sent < 2; sent++) await provider.send({ gst: INPUT }, json(404, "Not Found"));
    const { result: open } = await provider.send({ gst: INPUT }, json(SENT.status, SENT.body));
    expect(open).toMatchObject({ __typename: "ProviderUnavailable", providerCode: null });
    expect(provider.upstream.requests).toHaveLength(0);
  });
});

describe("GST adapter", () => {
  it("a refused connection is ProviderUnavailable", async () => {
    const http = new UpstreamClient({ timeoutMs: 1000, maxBodyBytes: 64 * 1024 });
    const adapter = createGstAdapter(
      gstProvider.binding,
      { baseUrl: await refusedUrl(), otpPath: "/otp", loginPath: "/login", accessToken: "token" },
      http,
    );
    const parsed = parseGstInput(gstProvider.binding, INPUT);
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
        gstProvider.binding,
        { baseUrl: `${upstream.url}/v2`, otpPath: "/otp", loginPath: "/login", accessToken: "token" },
        http,
      );
      const parsed = parseGstInput(gstProvider.binding, INPUT);
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
