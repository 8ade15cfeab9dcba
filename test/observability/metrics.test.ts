import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NO_LOCAL_LIMITS } from "../helpers/app.js";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { execute } from "../helpers/client.js";
import { startCapturedApp, type CapturedApp } from "./capture.js";

let subgraph: CapturedApp;
beforeAll(async () => {
  subgraph = await startCapturedApp({
    ...NO_LOCAL_LIMITS,
    ROUTER_SECRET: "router-secret-for-the-metrics-test-0123",
  });
});
afterAll(() => subgraph.close());

const headers = { "router-authorization": "router-secret-for-the-metrics-test-0123" };

async function scrape() {
  const response = await fetch(`${subgraph.origin}/metrics`);
  const text = await response.text();
  const value = (series: string) => {
    const row = text.split("\n").find((line) => line.startsWith(`${series} `));
    return row === undefined ? undefined : Number(row.slice(series.length + 1));
  };
  return { response, text, value };
}

describe("GET /metrics", () => {
  it("serves the Prometheus text format, outside the router secret", async () => {
    const { response, text } = await scrape();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toContain("# TYPE otp_requests_total counter");
    expect(text).toContain("# TYPE otp_upstream_duration_seconds histogram");
    expect(text).toContain("# TYPE otp_provider_breaker_state gauge");
    expect(text).toContain("# TYPE otp_upstream_in_flight gauge");
    expect(text).toContain("process_resident_memory_bytes");
  });

  it("times HTTP requests to /graphql by method and status class, and nothing else", async () => {
    const series = (method: string, status: string) =>
      `otp_http_request_duration_seconds_count{method="${method}",status="${status}"}`;
    const before = await scrape();
    const sent = await execute(
      subgraph.url,
      RequestOtpDocument,
      {
        input: { phone: { phone: "+919876577001", country: "IN", deviceId: "device-http" } },
      },
      headers,
    );
    expect(sent.status).toBe(200);
    // Without the router secret: 401.
    expect((await fetch(subgraph.url, { method: "POST", body: "{}" })).status).toBe(401);
    await fetch(`${subgraph.origin}/healthz`);
    const after = await scrape();
    const grown = (method: string, status: string) =>
      (after.value(series(method, status)) ?? 0) - (before.value(series(method, status)) ?? 0);
    expect(grown("POST", "2xx")).toBe(1);
    expect(grown("POST", "4xx")).toBe(1);
    expect(after.text).toContain("# TYPE otp_http_request_duration_seconds histogram");
    expect(after.text).not.toMatch(/otp_http_request_duration_seconds_count\{[^}]*(healthz|metrics|route)/);
  });

  it("counts requests by provider and result member, and times upstream calls by provider", async () => {
    const phone = (number: string) => ({
      phone: { phone: number, country: "IN", deviceId: "device-metrics" },
    });
    const before = await scrape();
    const sent = 'otp_requests_total{provider="PHONE",result="OtpSent"}';
    const invalid = 'otp_requests_total{provider="PHONE",result="InvalidInput"}';
    const limited = 'otp_requests_total{provider="PHONE",result="RateLimited"}';
    const calls = 'otp_upstream_duration_seconds_count{provider="PHONE",outcome="reply"}';

    await execute(subgraph.url, RequestOtpDocument, { input: phone("+919876543210") }, headers);
    await execute(subgraph.url, RequestOtpDocument, { input: phone("+919876543211") }, headers);
    await execute(subgraph.url, RequestOtpDocument, { input: phone("+919876500429") }, headers);
    await execute(subgraph.url, RequestOtpDocument, { input: phone("not a phone") }, headers);

    const after = await scrape();
    const delta = (series: string) => (after.value(series) ?? 0) - (before.value(series) ?? 0);
    expect(delta(sent)).toBe(2);
    expect(delta(limited)).toBe(1);
    expect(delta(invalid)).toBe(1);
    // InvalidInput never reaches the provider.
    expect(delta(calls)).toBe(3);
    expect(
      after.value('otp_upstream_duration_seconds_bucket{le="+Inf",provider="PHONE",outcome="reply"}'),
    ).toBe(after.value(calls));
  });

  it("shows each configured provider's breaker closed and nothing in flight when idle", async () => {
    const { value } = await scrape();
    for (const provider of Object.keys(subgraph.config.providers)) {
      expect(value(`otp_provider_breaker_state{provider="${provider}"}`)).toBe(0);
      expect(value(`otp_upstream_in_flight{provider="${provider}"}`)).toBe(0);
    }
  });

  it("has no personal data in any label: only bounded names, no phone digits", async () => {
    const { text } = await scrape();
    const values = [...text.matchAll(/(\w+)="([^"]*)"/g)].map(([, name, labelValue]) => ({
      name,
      labelValue,
    }));
    expect(values.length).toBeGreaterThan(0);
    for (const { name, labelValue } of values) {
      expect(labelValue, name).not.toMatch(/\d{4,}/);
      expect(labelValue, name).not.toContain("*");
    }
    const ours = values.filter(({ name }) =>
      ["provider", "result", "outcome", "reason"].includes(name ?? ""),
    );
    for (const { labelValue } of ours) expect(labelValue).toMatch(/^[A-Za-z]+$/);
  });
});
