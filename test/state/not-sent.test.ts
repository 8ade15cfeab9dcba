import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/otp/store/memory.js";
import { freePort } from "../helpers/ports.js";
import { ok, startFaultServer } from "../resilience/fault-server.js";
import { phoneRequest, manualClock, phoneService } from "./fixtures.js";

describe("an idempotency key whose request never reached the provider", () => {
  it("is not answered with that failure again: once the provider is back, the same key sends", async () => {
    const port = await freePort();
    const service = phoneService({
      baseUrl: `http://127.0.0.1:${port}`,
      store: new MemoryStore(),
      clock: manualClock(),
      // With the default cooldown: the refused call was given back, so the retry is not refused by it.
      limits: {},
    });
    const context = { clientIp: "127.0.0.1", idempotencyKey: "key-1" };

    const refused = await service.requestOtp(phoneRequest(7), context);
    expect(refused).toMatchObject({ kind: "ProviderUnavailable", providerCode: null, retryable: true });
    expect(refused).not.toHaveProperty("notSent");

    const upstream = await startFaultServer(ok, port);
    try {
      const sent = await service.requestOtp(phoneRequest(7), context);
      expect(sent.kind).toBe("OtpSent");
      expect(upstream.requests).toHaveLength(1);
    } finally {
      await upstream.close();
    }
  });
});
