import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { UpstreamClient, type UpstreamFault, type UpstreamReply } from "../../src/providers/http-client.js";
import { refusedUrl } from "../helpers/upstream.js";
import { hang, ok, reply, resetMidBody, startFaultServer, type FaultServer } from "./fault-server.js";
import { within } from "./within.js";

const request = (url: string) => ({
  url: `${url}/auth/otp/request`,
  headers: { "content-type": "application/json" },
  json: { phone: "+919876543210", country: "IN", deviceId: "d" },
});

/** Connection attempts undici reports as refused, for one port (its diagnostics channel). */
function countRefusals(port: number, onRefused: () => void = () => undefined) {
  let refused = 0;
  const listener = (message: unknown) => {
    const { connectParams, error } = message as { connectParams: { port: string | number }; error: unknown };
    const code = (error as { code?: string } | undefined)?.code;
    if (Number(connectParams.port) === port && code === "ECONNREFUSED") {
      refused++;
      onRefused();
    }
  };
  subscribe("undici:client:connectError", listener);
  return {
    get refused() {
      return refused;
    },
    stop: () => unsubscribe("undici:client:connectError", listener),
  };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("UpstreamClient: at most one retry, and only when nothing was sent", () => {
  it("retries a refused connection once: the port starts listening between the attempts and gets one request", async () => {
    const url = await refusedUrl();
    const port = Number(new URL(url).port);
    let server: FaultServer | undefined;
    let starting: Promise<FaultServer> | undefined;
    const refusals = countRefusals(port, () => {
      starting ??= startFaultServer(ok, port).then((started) => (server = started));
    });
    cleanups.push(refusals.stop, () => server?.close());
    const client = new UpstreamClient({
      timeoutMs: 2_000,
      maxBodyBytes: 64 * 1024,
      refusedRetryDelayMs: 200,
    });

    const result = await within(3_000, client.postJson(request(url)));

    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(refusals.refused).toBe(1);
    expect(server?.requests).toHaveLength(1);
    expect(server?.connections).toBe(1);
  });

  it("gives up after the one retry when the port stays closed: two attempts, then ProviderUnavailable", async () => {
    const url = await refusedUrl();
    const refusals = countRefusals(Number(new URL(url).port));
    cleanups.push(refusals.stop);
    const client = new UpstreamClient({ timeoutMs: 2_000, maxBodyBytes: 64 * 1024, refusedRetryDelayMs: 20 });

    const result = await within(3_000, client.postJson(request(url)));

    expect(result).toMatchObject({ ok: false, fault: "network", status: null });
    expect(refusals.refused).toBe(2);
  });

  it("never retries a timeout after the request was written: the upstream counts one request", async () => {
    const upstream = await startFaultServer(hang);
    cleanups.push(() => upstream.close());
    const client = new UpstreamClient({ timeoutMs: 300, maxBodyBytes: 64 * 1024, refusedRetryDelayMs: 20 });

    const result = await within(1_300, client.postJson(request(upstream.url)));
    // Long enough for a retry to have arrived, had there been one.
    await sleep(300);

    expect(result).toMatchObject({ ok: false, fault: "timeout", status: null });
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.connections).toBeLessThanOrEqual(2);
    await upstream.socketsClosed();
  });

  it.each([
    ["a reset mid-body", resetMidBody, { ok: false, fault: "network", status: 200 }],
    ["an HTTP 503", reply(503, { error: "down" }), { ok: true, status: 503 }],
  ] as const)("never retries %s: one request", async (_name, handler, expected) => {
    const upstream = await startFaultServer(handler);
    cleanups.push(() => upstream.close());
    const client = new UpstreamClient({ timeoutMs: 1_000, maxBodyBytes: 64 * 1024, refusedRetryDelayMs: 20 });

    const result: UpstreamReply | UpstreamFault = await within(2_000, client.postJson(request(upstream.url)));
    await sleep(100);

    expect(result).toMatchObject(expected);
    expect(upstream.requests).toHaveLength(1);
  });

  it("counts the refused retry inside the timeout: a retry that cannot fit is not made, and nothing was sent", async () => {
    const url = await refusedUrl();
    const client = new UpstreamClient({
      timeoutMs: 200,
      maxBodyBytes: 64 * 1024,
      refusedRetryDelayMs: 5_000,
    });

    const result = await within(1_200, client.postJson(request(url)));

    expect(result).toMatchObject({ ok: false, fault: "network", notSent: true });
  });
});
