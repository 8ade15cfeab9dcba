import { randomBytes } from "node:crypto";
import { print } from "graphql";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "../helpers/otlp-receiver.js";
import { json, startUpstream, type Upstream } from "../helpers/upstream.js";
import { startCapturedApp, type CapturedApp } from "./capture.js";

/** What the provider answers: its documented success, with the OTP it sent. */
const SENT = json(200, { success: true, message: "request processed successfully", data: { otp: 482913 } });
const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;

/** Values that are personal or secret: none may appear in any exported byte. */
const PHONE_DIGITS = "9876501234";
const OTHER_DIGITS = "9123409876";
const DEVICE = "device-7f3a9c";
const CLIENT_IP = "203.0.113.77";
const OTP = "482913";
const PERSONAL = [PHONE_DIGITS, OTHER_DIGITS, DEVICE, CLIENT_IP, OTP, "6789012345"];

function traceparent(): { header: string; traceId: string; parentId: string } {
  const traceId = randomBytes(16).toString("hex");
  const parentId = randomBytes(8).toString("hex");
  return { header: `00-${traceId}-${parentId}-01`, traceId, parentId };
}

describe.each(["http/protobuf", "http/json"])("traces exported over OTLP %s", (protocol) => {
  let receiver: OtlpReceiver;
  let upstream: Upstream;
  let subgraph: CapturedApp;
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= subgraph.close());
  beforeEach(async () => {
    closed = undefined;
    receiver = await startOtlpReceiver();
    upstream = await startUpstream(SENT);
    subgraph = await startCapturedApp({
      OTP_MODE: "live",
      PHONE_BASE_URL: upstream.url,
      TRUST_PROXY: "1",
      OTP_COOLDOWN_SECONDS: "0",
      OTP_MAX_PER_DESTINATION_PER_HOUR: "1",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_SERVICE_NAME: "otp-subgraph-test",
      // The deployment's attributes on the resource; OTEL_SERVICE_NAME wins over the service.name here.
      OTEL_RESOURCE_ATTRIBUTES:
        "service.name=overridden, service.version=1.4.2,deployment.environment.name=prod%20eu,service.instance.id=pod-7",
      // fastify's own lines for each request too
      LOG_LEVEL: "debug",
    });
  });
  afterEach(async () => {
    await close();
    await upstream.close();
    await receiver.close();
  });

  async function requestOtp(phone: string, headers: Record<string, string>) {
    const response = await fetch(subgraph.url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": CLIENT_IP, ...headers },
      body: JSON.stringify({
        query: print(RequestOtpDocument),
        variables: { input: { phone: { phone, country: "IN", deviceId: DEVICE } } },
      }),
    });
    const body = (await response.json()) as { data: { requestOtp: { __typename: string } } };
    return body.data.requestOtp.__typename;
  }

  /** The spans of one trace, after the application has flushed them on close. */
  async function spansOf(traceId: string): Promise<ReceivedSpan[]> {
    await close();
    return receiver.spans.filter((span) => span.traceId === traceId);
  }

  it("continues the router's trace: one trace under its parent, with the expected spans and attributes", async () => {
    const sent = traceparent();
    const limited = traceparent();
    const unavailable = traceparent();
    const tracestate = "rojo=00f067aa0ba902b7";
    expect(await requestOtp(`+91${PHONE_DIGITS}`, { traceparent: sent.header, tracestate })).toBe("OtpSent");
    expect(await requestOtp(`+91${PHONE_DIGITS}`, { traceparent: limited.header })).toBe("RateLimited");
    upstream.respond(json(503, "upstream down"));
    expect(await requestOtp(`+91${OTHER_DIGITS}`, { traceparent: unavailable.header })).toBe(
      "ProviderUnavailable",
    );

    const spans = await spansOf(sent.traceId);
    expect(receiver.contentTypes.every((type) => type.startsWith(contentType(protocol)))).toBe(true);
    // One tree: the server span's parent is the router's span, every other span's parent is in the trace.
    const [server, ...others] = spans.filter((span) => span.kind === SERVER);
    expect(others).toEqual([]);
    expect(server).toMatchObject({
      parentSpanId: sent.parentId,
      name: "mutation requestOtp",
      traceState: tracestate,
      serviceName: "otp-subgraph-test",
      resource: expect.objectContaining({
        "service.name": "otp-subgraph-test",
        "service.version": "1.4.2",
        "deployment.environment.name": "prod eu",
        "service.instance.id": "pod-7",
      }) as unknown,
      attributes: {
        "http.request.method": "POST",
        "http.route": "/graphql",
        "http.response.status_code": 200,
        "graphql.operation.type": "mutation",
      },
    });
    const ids = new Set(spans.map((span) => span.spanId));
    for (const span of spans) {
      if (span !== server) expect(ids.has(span.parentSpanId), span.name).toBe(true);
      expect(span.traceState).toBe(tracestate);
    }

    const requestOtpSpan = spans.find((span) => span.name === "requestOtp");
    expect(requestOtpSpan).toMatchObject({
      parentSpanId: server?.spanId,
      attributes: { "otp.provider": "PHONE", "otp.result": "OtpSent" },
    });
    const upstreamSpan = spans.find((span) => span.kind === CLIENT && span.name === "POST");
    const port = Number(new URL(upstream.url).port);
    expect(upstreamSpan).toMatchObject({
      parentSpanId: requestOtpSpan?.spanId,
      attributes: {
        "otp.provider": "PHONE",
        "http.request.method": "POST",
        "http.response.status_code": 200,
        "server.address": "127.0.0.1",
        "server.port": port,
      },
    });
    expect(upstreamSpan?.attributes["otp.upstream.duration_ms"]).toEqual(expect.any(Number));
    const storeSpans = spans.filter((span) => span.name.startsWith("store "));
    expect(storeSpans.map((span) => span.name)).toEqual(
      expect.arrayContaining(["store consumeLimits", "store saveChallenge"]),
    );
    for (const span of storeSpans) {
      expect(span.parentSpanId).toBe(requestOtpSpan?.spanId);
      expect(span.attributes["otp.store"]).toBe("memory");
    }

    const limitedSpans = receiver.spans.filter((span) => span.traceId === limited.traceId);
    expect(limitedSpans.find((span) => span.name === "requestOtp")?.attributes).toMatchObject({
      "otp.result": "RateLimited",
      "otp.limited_by": "LOCAL_POLICY",
    });
    expect(limitedSpans.find((span) => span.name === "store consumeLimits")?.attributes).toMatchObject({
      "otp.limit.allowed": false,
      "otp.limit.refused_by": "destination",
    });
    expect(limitedSpans.some((span) => span.kind === CLIENT && span.name === "POST")).toBe(false);

    const failed = receiver.spans.filter((span) => span.traceId === unavailable.traceId);
    expect(failed.find((span) => span.name === "requestOtp")?.attributes).toMatchObject({
      "otp.result": "ProviderUnavailable",
      "otp.provider_code": "503",
    });
    expect(failed.find((span) => span.name === "POST")).toMatchObject({
      statusCode: ERROR,
      attributes: { "http.response.status_code": 503, "error.type": "503" },
    });
  });

  it("exports no personal value: no phone, device id, client IP or OTP in any span or attribute", async () => {
    const { header, traceId } = traceparent();
    await requestOtp(`+91${PHONE_DIGITS}`, { traceparent: header });
    const spans = await spansOf(traceId);
    expect(spans.length).toBeGreaterThanOrEqual(4);
    const exported = Buffer.concat(receiver.bodies).toString("latin1");
    for (const value of PERSONAL) expect(exported).not.toContain(value);
    // The upstream's path is not exported either, only its host and port.
    expect(exported).not.toContain("/v1/");
  });

  it("puts the trace and span ids on every log line of a traced request", async () => {
    const { header, traceId } = traceparent();
    const before = subgraph.raw.length;
    upstream.respond(json(200, { unexpected: true }));
    await requestOtp(`+91${PHONE_DIGITS}`, { traceparent: header });
    const lines = subgraph.lines().slice(before);
    // fastify's lines, the requestOtp line, and the undocumented reply's warning.
    expect(lines.map((line) => line.msg)).toEqual(
      expect.arrayContaining(["incoming request", "requestOtp", "undocumented reply", "request completed"]),
    );
    const metrics = await (await fetch(`${subgraph.origin}/metrics`)).text();
    expect(metrics).toContain('otp_upstream_undocumented_total{provider="PHONE"} 1');
    const spans = await spansOf(traceId);
    const spanIds = new Set(spans.map((span) => span.spanId));
    for (const line of lines) {
      expect(line.trace_id, String(line.msg)).toBe(traceId);
      expect(spanIds.has(String(line.span_id)), String(line.msg)).toBe(true);
    }
  });
});

function contentType(protocol: string): string {
  return protocol === "http/json" ? "application/json" : "application/x-protobuf";
}
