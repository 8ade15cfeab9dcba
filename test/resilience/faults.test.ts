import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { NO_LOCAL_LIMITS } from "../helpers/app.js";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { execute } from "../helpers/client.js";
import { startCapturedApp, type CapturedApp } from "../observability/capture.js";
import { startFaultServer, type FaultServer } from "./fault-server.js";
import { FAULT_SCENARIOS } from "./scenarios.js";
import { watchUnhandledRejections, within } from "./within.js";

const TIMEOUT_MS = 500;
const input = { phone: { phone: "+919876543210", country: "IN", deviceId: "device-faults" } };

describe("requestOtp against a misbehaving PHONE provider (real loopback server)", () => {
  let fault: FaultServer;
  let subgraph: CapturedApp;
  const unhandled = watchUnhandledRejections();

  beforeAll(async () => {
    fault = await startFaultServer();
    subgraph = await startCapturedApp({
      ...NO_LOCAL_LIMITS,
      PHONE_BASE_URL: fault.url,
      OTP_PROVIDER_TIMEOUT_MS: String(TIMEOUT_MS),
      // The table injects one fault after another; the breaker has a suite of its own.
      OTP_BREAKER_FAILURES: "1000",
    });
  });
  afterAll(async () => {
    await subgraph.close();
    await fault.close();
    unhandled.stop();
  });
  afterEach(() => {
    expect(unhandled.reasons).toEqual([]);
  });

  it.each(FAULT_SCENARIOS)(
    "$name → $expected.__typename ($expected.providerCode) within the timeout + 1 s, sent once, no socket left",
    async ({ handler, expected }) => {
      fault.requests.length = 0;
      fault.respond(handler);
      const { status, body } = await within(
        TIMEOUT_MS + 1_000,
        execute(subgraph.url, RequestOtpDocument, { input }),
      );
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      const result = body.data?.requestOtp;
      expect(result).toMatchObject({ ...expected, provider: "PHONE" });
      // The user is told what happened, never what the upstream said.
      expect(JSON.stringify(result)).not.toMatch(/teapot|maintenance|Bad Gateway|482913|771234|youSent/);
      expect(fault.requests).toHaveLength(1);
      await fault.socketsClosed();
      expect(subgraph.requestLines().at(-1)).toMatchObject({
        provider: "PHONE",
        result: expected.__typename,
        providerCode: expected.providerCode,
      });
    },
  );

  it("answers the documented success again once the upstream behaves", async () => {
    fault.respond((res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ success: true, message: "request processed successfully" }));
    });
    const { body } = await execute(subgraph.url, RequestOtpDocument, { input });
    expect(body.data?.requestOtp).toMatchObject({ __typename: "OtpSent" });
  });
});
