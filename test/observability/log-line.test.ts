import { print } from "graphql";
import { NO_LOCAL_LIMITS } from "../helpers/app.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestOtpDocument, type RequestOtpMutationVariables } from "../__generated__/graphql.js";
import { startCapturedApp, type CapturedApp, type LogLine } from "./capture.js";

const LINE_KEYS = [
  "challengeId",
  "destinationHint",
  "level",
  "msg",
  "provider",
  "providerCode",
  "requestId",
  "result",
  "time",
  "upstreamMs",
].sort();

let subgraph: CapturedApp;
beforeAll(async () => {
  subgraph = await startCapturedApp({ ...NO_LOCAL_LIMITS });
});
afterAll(() => subgraph.close());

/** One requestOtp over HTTP: the result, the response's request id, and the lines it wrote. */
async function requestOtp(variables: RequestOtpMutationVariables, headers: Record<string, string> = {}) {
  const before = subgraph.raw.length;
  const response = await fetch(subgraph.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query: print(RequestOtpDocument), variables }),
  });
  const body = (await response.json()) as { data: { requestOtp: Record<string, unknown> } };
  return {
    result: body.data.requestOtp,
    requestId: response.headers.get("x-request-id"),
    written: (): LogLine[] => subgraph.lines().slice(before),
  };
}

const phone = (number: string) => ({
  input: { phone: { phone: number, country: "IN", deviceId: "device-log" } },
});

describe("start-up", () => {
  it("writes nothing of Apollo Server's (its deprecation warning, its inline-tracing notice) before the first request", () => {
    // Fastify's "Server listening" lines are all there is.
    const written = subgraph.lines().map((line) => line.msg);
    expect(written.filter((msg) => !msg?.startsWith("Server listening at "))).toEqual([]);
  });
});

describe("one structured log line per requestOtp", () => {
  it("an OtpSent writes exactly one line: request id, provider, member, upstream ms, masked destination, challenge id", async () => {
    const { result, requestId, written } = await requestOtp(phone("+919876543210"));
    const lines = written();

    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(Object.keys(line ?? {}).sort()).toEqual(LINE_KEYS);
    expect(line).toMatchObject({
      level: 30,
      msg: "requestOtp",
      requestId,
      provider: "PHONE",
      result: "OtpSent",
      providerCode: null,
      destinationHint: "********3210",
      challengeId: (result.challenge as { id: string }).id,
    });
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(line?.upstreamMs).toEqual(expect.any(Number));
    expect(new Date(String(line?.time)).toISOString()).toBe(line?.time);
  });

  it("a documented provider failure carries its providerCode and the masked destination", async () => {
    const { written } = await requestOtp(phone("+919876500429"));
    expect(written()).toEqual([
      expect.objectContaining({
        msg: "requestOtp",
        provider: "PHONE",
        result: "RateLimited",
        providerCode: "429",
        destinationHint: "********0429",
        challengeId: null,
        upstreamMs: expect.any(Number) as unknown,
      }),
    ]);
  });

  it("InvalidInput writes its line with no upstream time and no destination (nothing was sent)", async () => {
    const { result, written } = await requestOtp(phone("12345"));
    expect(result.__typename).toBe("InvalidInput");
    expect(written()).toEqual([
      expect.objectContaining({
        result: "InvalidInput",
        providerCode: null,
        upstreamMs: null,
        destinationHint: null,
        challengeId: null,
      }),
    ]);
  });

  it("keeps a well-formed x-request-id from the router and replaces anything else", async () => {
    const kept = await requestOtp(phone("+919876543211"), { "x-request-id": "router.trace-42:abc" });
    expect(kept.requestId).toBe("router.trace-42:abc");
    expect(kept.written()[0]?.requestId).toBe("router.trace-42:abc");

    const replaced = await requestOtp(phone("+919876543212"), { "x-request-id": "x".repeat(200) });
    expect(replaced.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(replaced.written()[0]?.requestId).toBe(replaced.requestId);
  });

  it("concurrent requests each get their own line with their own request id", async () => {
    const before = subgraph.raw.length;
    const calls = await Promise.all(
      Array.from({ length: 8 }, (_, i) => requestOtp(phone(`+91987654330${String(i)}`))),
    );
    const lines = subgraph.lines().slice(before);
    expect(lines).toHaveLength(8);
    const byId = new Map(lines.map((line) => [line.requestId, line]));
    for (const call of calls) {
      expect(byId.get(call.requestId)).toMatchObject({
        challengeId: (call.result.challenge as { id: string }).id,
      });
    }
  });
});
