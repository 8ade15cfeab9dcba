import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { Metrics } from "../../src/metrics.js";
import { settle } from "../../src/providers/exchange.js";
import { mapGstResponse } from "../../src/providers/gst/adapter.js";
import type { UpstreamReply } from "../../src/providers/http-client.js";
import { mapItrResponse } from "../../src/providers/itr/adapter.js";
import { mapPaytmResponse } from "../../src/providers/paytm/adapter.js";
import { ReplyLog } from "../../src/providers/reply-log.js";
import { gst } from "../../src/providers/gst/index.js";
import { itr } from "../../src/providers/itr/index.js";
import { paytm } from "../../src/providers/paytm/index.js";

function reply(status: number, body: unknown): UpstreamReply {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return {
    ok: true,
    status,
    headers: { get: (name) => (name === "content-type" ? "application/json" : null) },
    body: typeof body === "string" ? undefined : body,
    text,
    ms: 1,
  };
}

/** A real pino logger writing to memory, and real metrics: what the logging hook did. */
function hook(provider: "GST" | "PAYTM") {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const metrics = new Metrics({ processMetrics: false });
  const replies = new ReplyLog({ provider, logger: pino(stream), observer: metrics.upstream(provider) });
  return { lines, metrics, client: { replies } };
}

const BLOCKED = { responseCode: "BE1426099", status: "FAILURE", message: "Your account is blocked" };

describe("mappers are pure: they answer a note, and settle acts on it", () => {
  it("answers a note instead of logging, for each provider that notes a reply", () => {
    expect(mapPaytmResponse(paytm.binding, reply(200, BLOCKED))).toMatchObject({
      kind: "noted",
      result: { kind: "AccountBlocked", providerCode: "BE1426099" },
      note: { kind: "unrecognised", field: "responseCode", value: "BE1426099", mappedAs: "AccountBlocked" },
    });
    expect(mapGstResponse(gst.binding, reply(404, "<html>Not Found</html>"), "/otp")).toMatchObject({
      kind: "noted",
      result: { kind: "ProviderUnavailable" },
      note: { kind: "undocumented", hint: expect.stringContaining("GST_OTP_PATH") as string },
    });
    expect(mapItrResponse(itr.binding, reply(200, { otp_status: "maybe later" }))).toMatchObject({
      kind: "noted",
      note: { kind: "undocumented", hint: expect.stringContaining("otp_status") as string },
    });
  });

  it("settle logs and counts the note once, and answers the mapped outcome", async () => {
    const { lines, metrics, client } = hook("PAYTM");
    const answer = settle(client, paytm.id, reply(200, BLOCKED), (got) =>
      mapPaytmResponse(paytm.binding, got),
    );
    expect(answer).toMatchObject({ kind: "AccountBlocked", providerCode: "BE1426099" });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([
      expect.objectContaining({
        msg: "unrecognised value in a reply",
        field: "responseCode",
        mappedAs: "AccountBlocked",
      }),
    ]);
    expect(await metrics.text()).toMatch(
      /^otp_provider_unrecognised_total\{provider="PAYTM",field="responseCode"\} 1$/m,
    );
  });

  it("settle logs an undocumented reply with the mapping's hint, and counts it", async () => {
    const { lines, metrics, client } = hook("GST");
    const answer = settle(client, gst.id, reply(404, "<html>Not Found</html>"), (got) =>
      mapGstResponse(gst.binding, got, "/otp"),
    );
    expect(answer).toMatchObject({ kind: "ProviderUnavailable" });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([
      expect.objectContaining({
        msg: "undocumented reply",
        status: 404,
        hint: expect.stringContaining("GST_OTP_PATH") as string,
      }),
    ]);
    expect(await metrics.text()).toMatch(/^otp_upstream_undocumented_total\{provider="GST"\} 1$/m);
  });
});
