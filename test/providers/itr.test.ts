import { describe, expect, it } from "vitest";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { UpstreamClient } from "../../src/providers/http-client.js";
import { createItrAdapter } from "../../src/providers/itr/adapter.js";
import { parseItrInput } from "../../src/providers/itr/input.js";
import { GENERIC_RESPONSES } from "../../src/providers/mapping-tables.js";
import { ITR_MAGIC, ITR_SANDBOX_PAN } from "../../src/providers/itr/sandbox.js";
import { NO_LOCAL_LIMITS, useTestApp } from "../helpers/app.js";
import { startCapturedApp } from "../observability/capture.js";
import { execute } from "../helpers/client.js";
import { useLoopbackProvider } from "../helpers/loopback-provider.js";
import { json, refusedUrl, type UpstreamHandler } from "../helpers/upstream.js";
import { cases } from "./itr.cases.js";
import { itr as itrProvider } from "../../src/providers/itr/index.js";

const PASSWORD = "S3cret pass#word";
const INPUT = { pan: " abcpe1234f", password: PASSWORD };
const PAN_ERROR = { field: "itr.pan", message: "The income-tax portal did not accept this PAN." };
const PASSWORD_ERROR = {
  field: "itr.password",
  message: "The income-tax portal did not accept this password.",
};
const [FAULT] = GENERIC_RESPONSES;

describe("ITR over HTTP against a loopback provider", () => {
  const provider = useLoopbackProvider(cases.env);

  async function requestOtp(handler: UpstreamHandler, input = INPUT) {
    const { result, body } = await provider.send({ itr: input }, handler);
    expect(JSON.stringify(body)).not.toContain(PASSWORD);
    return result;
  }

  // Only a status that says an OTP went out is OtpSent; every other one says which variant and why.
  it.each([
    ["OTP_SENT", "OtpSent", { providerMessage: "OTP_SENT" }],
    ["success", "OtpSent", { providerMessage: "success" }],
    ["Triggered", "OtpSent", { providerMessage: "Triggered" }],
    ["OTP sent to registered mobile.", "OtpSent", { providerMessage: "OTP sent to registered mobile." }],
    [true, "OtpSent", { providerMessage: null }],
    ["true", "OtpSent", { providerMessage: "true" }],
    ["FAILED", "ProviderUnavailable", { retryable: true }],
    ["error", "ProviderUnavailable", { retryable: true }],
    ["Not Triggered", "ProviderUnavailable", { retryable: true }],
    ["otp_not_sent", "ProviderUnavailable", { retryable: true }],
    ["Unable to send OTP", "ProviderUnavailable", { retryable: true }],
    [false, "ProviderUnavailable", { retryable: true }],
    ["false", "ProviderUnavailable", { retryable: true }],
    ["Invalid credentials", "InvalidInput", { retryable: false, fieldErrors: [PASSWORD_ERROR] }],
    ["Invalid PAN", "InvalidInput", { retryable: false, fieldErrors: [PAN_ERROR] }],
    ["INVALID", "InvalidInput", { retryable: false, fieldErrors: [] }],
    ["Locked", "AccountBlocked", { retryable: false }],
    ["Account locked, OTP not sent", "AccountBlocked", { retryable: false }],
    ["NO_OTP", "UnexpectedProviderResponse", { retryable: false, providerMessage: "NO_OTP" }],
    ["PENDING", "UnexpectedProviderResponse", { retryable: false, providerMessage: "PENDING" }],
    ["", "UnexpectedProviderResponse", { retryable: false, providerMessage: null }],
  ])("otp_status %j is %s", async (otpStatus, typename, expected) => {
    const result = await requestOtp(json(200, { otp_status: otpStatus }));
    expect(result?.__typename).toBe(typename);
    if (result?.__typename === "OtpSent") expect(result.challenge).toMatchObject(expected);
    else expect(result).toMatchObject({ providerCode: "200", ...expected });
  });

  it("an unrecognised otp_status is logged once as undocumented, scrubbed, and returned cleaned", async () => {
    const captured = await startCapturedApp({ ...cases.env(provider.upstream.url), ...NO_LOCAL_LIMITS });
    try {
      provider.upstream.respond(json(200, { otp_status: "QUEUED for ABCPE1234F\u202e <b>now</b>" }));
      const { body } = await execute(captured.url, RequestOtpDocument, { input: { itr: INPUT } });
      expect(body.data?.requestOtp).toMatchObject({
        __typename: "UnexpectedProviderResponse",
        providerMessage: "QUEUED for [redacted] now",
      });
      const lines = captured.lines().filter((logged) => logged.msg === "undocumented reply");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ provider: "ITR", status: 200 });
      expect(JSON.stringify(lines[0])).toContain("QUEUED");
      expect(captured.raw.join("")).not.toContain("ABCPE1234F");
      const metrics = await (await fetch(`${captured.origin}/metrics`)).text();
      expect(metrics).toContain('otp_upstream_undocumented_total{provider="ITR"} 1');
    } finally {
      await captured.close();
    }
  });

  it("a 400's detail names fields as an object or a FastAPI list; anything else names none", async () => {
    const detailCases: [unknown, unknown[]][] = [
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
    for (const [detail, fieldErrors] of detailCases) {
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

  it("a 500 of any body is the documented ProviderUnavailable", async () => {
    expect(await requestOtp(json(500, "<html>oops</html>"))).toMatchObject(cases.rows["500"]?.expected ?? {});
  });

  it("bad input of every kind is InvalidInput with every failing field, never quoting the password, and never reaches the provider", async () => {
    const inputCases: [typeof INPUT, string[]][] = [
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
    for (const [input, fields] of inputCases) {
      const refused = await provider.refused({ itr: input }, "ITR");
      expect(JSON.stringify(refused.body)).not.toContain(PASSWORD);
      expect(refused.fields, JSON.stringify(input).slice(0, 80)).toEqual(fields);
    }
  });

  it("wrong types are BAD_USER_INPUT, never echoing the password, and never reach the provider", async () => {
    await provider.expectBadUserInput("itr", [
      { pan: 1234, password: PASSWORD },
      { pan: "ABCPE1234F" },
      { pan: "ABCPE1234F", password: null },
      { pan: "ABCPE1234F", password: [PASSWORD] },
      { pan: "ABCPE1234F", password: { value: PASSWORD } },
    ]);
  });
});

describe("ITR adapter", () => {
  it("a refused connection is ProviderUnavailable; the destination is the PAN, masked for the user", async () => {
    const http = new UpstreamClient({ timeoutMs: 1000, maxBodyBytes: 64 * 1024 });
    const adapter = createItrAdapter(
      itrProvider.binding,
      { baseUrl: await refusedUrl(), apiToken: "token" },
      http,
    );
    const parsed = parseItrInput(itrProvider.binding, INPUT);
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
  const subgraph = useTestApp(NO_LOCAL_LIMITS);

  it("the magic password is a 400 naming the password", async () => {
    const { body } = await execute(subgraph.url, RequestOtpDocument, {
      input: { itr: { pan: ITR_SANDBOX_PAN, password: ITR_MAGIC.wrongPassword } },
    });
    expect(body.data?.requestOtp).toMatchObject({
      __typename: "InvalidInput",
      providerCode: "400",
      fieldErrors: [PASSWORD_ERROR],
    });
  });
});
