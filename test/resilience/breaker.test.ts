import type { ServerResponse } from "node:http";
import { NO_LOCAL_LIMITS } from "../helpers/app.js";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { UpstreamClient, type UpstreamFault } from "../../src/providers/http-client.js";
import { Metrics } from "../../src/metrics.js";
import { faultOutcome } from "../../src/providers/outcomes.js";
import type { BreakerState, ResilienceSettings } from "../../src/providers/resilience.js";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { execute } from "../helpers/client.js";
import { startCapturedApp, type CapturedApp } from "../observability/capture.js";
import { hang, ok, reply, startFaultServer, type FaultServer } from "./fault-server.js";
import { within } from "./within.js";

const HALF_OPEN_MS = 200;
const E2E_HALF_OPEN_MS = 1_000;
const settings: ResilienceSettings = { breakerFailures: 3, breakerHalfOpenMs: HALF_OPEN_MS, maxInFlight: 10 };
const down = reply(503, { error: "down" });

let upstream: FaultServer;
const request = () => ({
  url: `${upstream.url}/auth/otp/request`,
  headers: { "content-type": "application/json" },
  json: { phone: "+919876543210", country: "IN", deviceId: "d" },
});

beforeAll(async () => {
  upstream = await startFaultServer();
});
afterAll(() => upstream.close());
afterEach(() => {
  upstream.requests.length = 0;
  upstream.respond(ok);
});

/** A client with a breaker, and every state it reported. */
function guardedClient(overrides: Partial<ResilienceSettings> = {}, timeoutMs = 1_000) {
  const states: BreakerState[] = [];
  const inFlight: number[] = [];
  const client = new UpstreamClient({
    provider: "PHONE",
    timeoutMs,
    maxBodyBytes: 64 * 1024,
    resilience: { ...settings, ...overrides },
    observer: {
      breakerChanged: (state) => states.push(state),
      inFlightChanged: (count) => inFlight.push(count),
    },
  });
  return { client, states, inFlight };
}

async function openBreaker(client: UpstreamClient, failures = settings.breakerFailures) {
  upstream.respond(down);
  for (let i = 0; i < failures; i++) await client.postJson(request());
  upstream.requests.length = 0;
}

/** Responses held until released, to keep calls in flight. */
function holdResponses() {
  const held: ServerResponse[] = [];
  upstream.respond((res) => held.push(res));
  return {
    get count() {
      return held.length;
    },
    release: () => {
      for (const res of held.splice(0)) ok(res, res.req, "");
    },
  };
}

async function until(condition: () => boolean, withinMs = 2_000) {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(10);
  }
}

describe("circuit breaker, per provider client", () => {
  it("opens after the configured consecutive failures, then answers ProviderUnavailable with retryAfterSeconds without calling", async () => {
    const { client, states } = guardedClient({ breakerHalfOpenMs: 1_500 });
    upstream.respond(down);
    for (let i = 0; i < 3; i++)
      expect(await client.postJson(request())).toMatchObject({ ok: true, status: 503 });
    expect(upstream.requests).toHaveLength(3);

    const refused = await within(200, client.postJson(request()));

    expect(refused).toMatchObject({ ok: false, fault: "circuitOpen", status: null });
    const retryAfter = (refused as UpstreamFault).retryAfterSeconds;
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
    expect(faultOutcome("PHONE", refused as UpstreamFault)).toEqual({
      kind: "ProviderUnavailable",
      provider: "PHONE",
      providerCode: null,
      retryable: true,
      retryAfterSeconds: retryAfter,
      message: "PHONE is not taking requests at the moment. Please try again shortly.",
      notSent: true,
    });
    expect(upstream.requests).toHaveLength(3);
    expect(states).toEqual(["closed", "open"]);
  });

  it("counts only consecutive failures: a success in between starts the count again", async () => {
    const { client, states } = guardedClient();
    for (const handler of [down, down, ok, down, down]) {
      upstream.respond(handler);
      await client.postJson(request());
    }
    expect(upstream.requests).toHaveLength(5);
    expect(states).toEqual(["closed"]);
  });

  it("counts timeouts as failures, and not answers a user caused (4xx)", async () => {
    const timeouts = guardedClient({ breakerFailures: 2 }, 100);
    upstream.respond(hang);
    await timeouts.client.postJson(request());
    await timeouts.client.postJson(request());
    expect(await timeouts.client.postJson(request())).toMatchObject({ fault: "circuitOpen" });
    expect(upstream.requests).toHaveLength(2);

    const answers = guardedClient({ breakerFailures: 2 });
    upstream.respond(reply(429, { success: false, message: "Two many request" }));
    for (let i = 0; i < 4; i++)
      expect(await answers.client.postJson(request())).toMatchObject({ status: 429 });
    expect(answers.states).toEqual(["closed"]);
  });

  it("half-opens after the configured time: one good trial call closes it", async () => {
    const { client, states } = guardedClient();
    await openBreaker(client);
    expect(await client.postJson(request())).toMatchObject({ fault: "circuitOpen" });

    upstream.respond(ok);
    await sleep(HALF_OPEN_MS + 50);
    expect(await client.postJson(request())).toMatchObject({ ok: true, status: 200 });
    expect(await client.postJson(request())).toMatchObject({ ok: true, status: 200 });

    expect(upstream.requests).toHaveLength(2);
    expect(states).toEqual(["closed", "open", "halfOpen", "closed"]);
  });

  it("a failed trial opens it again for another wait", async () => {
    const { client, states } = guardedClient();
    await openBreaker(client);
    await sleep(HALF_OPEN_MS + 50);

    expect(await client.postJson(request())).toMatchObject({ ok: true, status: 503 });
    expect(await client.postJson(request())).toMatchObject({ fault: "circuitOpen" });

    expect(upstream.requests).toHaveLength(1);
    expect(states).toEqual(["closed", "open", "halfOpen", "open"]);
  });

  it("while the trial call runs, other calls are refused at once", async () => {
    const { client } = guardedClient();
    await openBreaker(client);
    await sleep(HALF_OPEN_MS + 50);
    const held = holdResponses();

    const trial = client.postJson(request());
    await until(() => held.count === 1);
    const others = await within(200, Promise.all([client.postJson(request()), client.postJson(request())]));
    held.release();

    expect(others).toMatchObject([{ fault: "circuitOpen" }, { fault: "circuitOpen" }]);
    expect(await trial).toMatchObject({ ok: true, status: 200 });
    expect(upstream.requests).toHaveLength(1);
  });

  it("a burst of failures opens it; the next burst never reaches the provider", async () => {
    const { client } = guardedClient({ breakerHalfOpenMs: 5_000 });
    upstream.respond(down);
    const first = await Promise.all(Array.from({ length: 10 }, () => client.postJson(request())));
    expect(first.every((result) => result.ok && result.status === 503)).toBe(true);
    upstream.requests.length = 0;

    const second = await within(
      500,
      Promise.all(Array.from({ length: 10 }, () => client.postJson(request()))),
    );

    expect(second.every((result) => !result.ok && result.fault === "circuitOpen")).toBe(true);
    expect(upstream.requests).toHaveLength(0);
  });

  it("keeps one breaker per client: another provider's client is not affected", async () => {
    const first = guardedClient();
    const second = guardedClient();
    await openBreaker(first.client);
    upstream.respond(ok);
    expect(await first.client.postJson(request())).toMatchObject({ fault: "circuitOpen" });
    expect(await second.client.postJson(request())).toMatchObject({ ok: true, status: 200 });
  });
});

describe("in-flight cap, per provider client", () => {
  it("past the cap, a call is refused at once without calling; below it again, calls go through", async () => {
    const { client, inFlight } = guardedClient({ maxInFlight: 2 });
    const held = holdResponses();
    const running = [client.postJson(request()), client.postJson(request())];
    await until(() => held.count === 2);

    const refused = await within(200, client.postJson(request()));
    expect(refused).toMatchObject({ ok: false, fault: "inFlightCap", status: null, retryAfterSeconds: 1 });
    expect(faultOutcome("PHONE", refused as UpstreamFault)).toMatchObject({
      kind: "ProviderUnavailable",
      retryable: true,
      providerCode: null,
    });
    expect(upstream.requests).toHaveLength(2);
    expect(Math.max(...inFlight)).toBe(2);

    held.release();
    await Promise.all(running);
    upstream.respond(ok);
    expect(await client.postJson(request())).toMatchObject({ ok: true, status: 200 });
    expect(inFlight.at(-1)).toBe(0);
  });

  it("calls started in the same tick are capped too, and /metrics reads the count running when scraped", async () => {
    const metrics = new Metrics();
    const client = new UpstreamClient({
      provider: "PHONE",
      timeoutMs: 1_000,
      maxBodyBytes: 64 * 1024,
      resilience: { ...settings, maxInFlight: 2 },
      observer: metrics.upstream("PHONE"),
    });
    const gauge = async () =>
      (await metrics.text()).match(/^otp_upstream_in_flight\{provider="PHONE"\} (\d+)$/m)?.[1];
    expect(await gauge()).toBe("0");
    const held = holdResponses();
    const calls = [client.postJson(request()), client.postJson(request()), client.postJson(request())];
    expect(await calls[2]).toMatchObject({ fault: "inFlightCap" });
    await until(() => held.count === 2);
    expect(await gauge()).toBe("2");
    held.release();
    await Promise.all(calls);
    expect(upstream.requests).toHaveLength(2);
    expect(await gauge()).toBe("0");
  });
});

describe("breaker through GraphQL, /metrics and the log", () => {
  let fault: FaultServer;
  let subgraph: CapturedApp;
  const input = { phone: { phone: "+919876543210", country: "IN", deviceId: "device-breaker" } };

  beforeAll(async () => {
    fault = await startFaultServer(down);
    subgraph = await startCapturedApp({
      ...NO_LOCAL_LIMITS,
      PHONE_BASE_URL: fault.url,
      OTP_PROVIDER_TIMEOUT_MS: "500",
      OTP_BREAKER_FAILURES: "2",
      // Long enough that the third request surely comes before it on a busy machine.
      OTP_BREAKER_HALF_OPEN_MS: String(E2E_HALF_OPEN_MS),
    });
  });
  afterAll(async () => {
    await subgraph.close();
    await fault.close();
  });

  const metric = async (line: string) => {
    const text = await (await fetch(`${subgraph.origin}/metrics`)).text();
    return text.split("\n").find((row) => row.startsWith(line));
  };

  it("opens after two upstream 503s, refuses the third without calling, and recovers after the wait", async () => {
    for (let i = 0; i < 2; i++) {
      const { body } = await execute(subgraph.url, RequestOtpDocument, { input });
      expect(body.data?.requestOtp).toMatchObject({ __typename: "ProviderUnavailable", providerCode: "503" });
    }
    const { body } = await execute(subgraph.url, RequestOtpDocument, { input });
    expect(body.data?.requestOtp).toEqual({
      __typename: "ProviderUnavailable",
      provider: "PHONE",
      providerCode: null,
      retryable: true,
      retryAfterSeconds: 1,
      message: "PHONE is not taking requests at the moment. Please try again shortly.",
    });
    expect(fault.requests).toHaveLength(2);
    expect(await metric('otp_provider_breaker_state{provider="PHONE"}')).toBe(
      'otp_provider_breaker_state{provider="PHONE"} 1',
    );
    expect(await metric('otp_upstream_refused_total{provider="PHONE",reason="circuitOpen"}')).toMatch(/ 1$/);
    expect(subgraph.lines().some((line) => line.msg === "circuit breaker" && line.breaker === "open")).toBe(
      true,
    );

    fault.respond(ok);
    await sleep(E2E_HALF_OPEN_MS + 50);
    const recovered = await execute(subgraph.url, RequestOtpDocument, { input });
    expect(recovered.body.data?.requestOtp).toMatchObject({ __typename: "OtpSent" });
    expect(await metric('otp_provider_breaker_state{provider="PHONE"}')).toBe(
      'otp_provider_breaker_state{provider="PHONE"} 0',
    );
  });
});
