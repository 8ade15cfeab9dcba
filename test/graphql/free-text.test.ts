/** Free text the validators refuse (`test/otp/free-text.test.ts`), sent as a hostile client would. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FieldError } from "../../src/otp/model.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { post } from "../helpers/client.js";
import { json, startUpstream, type Upstream } from "../helpers/upstream.js";

describe("free text over HTTP", () => {
  let upstream: Upstream;
  let subgraph: TestApp;
  beforeAll(async () => {
    upstream = await startUpstream(json(200, { success: true, message: "sent", data: { otp: 1 } }));
    subgraph = await startTestApp({
      PHONE_BASE_URL: upstream.url,
      GST_BASE_URL: upstream.url,
      GST_OTP_PATH: "/otp",
      GST_ACCESS_TOKEN: "gst-token",
    });
  });
  afterAll(async () => {
    await subgraph.close();
    await upstream.close();
  });

  const mutation = `mutation ($input: RequestOtpInput!, $key: String) {
    requestOtp(input: $input, idempotencyKey: $key) { __typename ... on InvalidInput { fieldErrors { field message } } }
  }`;

  it.each([
    [
      "a lone surrogate in gst.username",
      { gst: { gstin: "27AAPFU0939F1ZV", username: "user\ud800" } },
      null,
      "gst.username",
    ],
    [
      "a bidi override in the idempotency key",
      { phone: { phone: "+919812345670", country: "IN", deviceId: "d1" } },
      "key\u202e1",
      "idempotencyKey",
    ],
  ])("refuses %s with a field error and sends nothing", async (_name, input, key, field) => {
    // JSON.stringify writes a lone surrogate as the escape `\ud800`, as a hostile client would.
    const { status, body } = await post<{ requestOtp: { __typename: string; fieldErrors: FieldError[] } }>(
      subgraph.url,
      JSON.stringify({ query: mutation, variables: { input, key } }),
    );
    expect(status).toBe(200);
    expect(body.data?.requestOtp.__typename).toBe("InvalidInput");
    expect(body.data?.requestOtp.fieldErrors.map((error) => error.field)).toEqual([field]);
    expect(upstream.requests).toHaveLength(0);
  });
});
