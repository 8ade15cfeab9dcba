/**
 * Provider text is bounded and cleaned before it is stored or returned (issue 19): a provider's verbosity cannot
 * fill the store, and its markup, control and bidi characters never reach a client.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OtpService } from "../../src/otp/otp-service.js";
import { MemoryStore } from "../../src/otp/store/memory.js";
import { StateKeys } from "../../src/otp/store/state-keys.js";
import { UpstreamClient } from "../../src/providers/http-client.js";
import { PROVIDER_MESSAGE_MAX_LENGTH } from "../../src/providers/outcomes.js";
import { phone } from "../../src/providers/phone/index.js";
import { reply, startFaultServer, type FaultServer } from "../resilience/fault-server.js";
import { phoneRequest, adaptersOf, manualClock, STATE_SECRET } from "./fixtures.js";
import { NO_LIMITS } from "../helpers/limits.js";

const STORE_BYTES = 2 * 1024 * 1024;

describe("provider text, bounded and cleaned", () => {
  let upstream: FaultServer;
  let store: MemoryStore;
  let otp: OtpService;
  beforeAll(async () => {
    upstream = await startFaultServer();
    store = new MemoryStore({ maxBytes: STORE_BYTES });
    const clock = manualClock();
    otp = new OtpService({
      adapters: adaptersOf([
        phone,
        phone.createAdapter(
          { baseUrl: upstream.url },
          new UpstreamClient({ timeoutMs: 5000, maxBodyBytes: 1024 * 1024 }),
        ),
      ]),
      store,
      sandbox: false,
      limits: NO_LIMITS,
      stateKeys: new StateKeys(STATE_SECRET),
      now: () => new Date(clock.now()),
    });
  });
  afterAll(() => upstream.close());

  it("100 replies with a 250 KB message each (25 MB) do not fill a 2 MB memory store", async () => {
    const verbose = `OTP sent. ${"Please read our very long terms. ".repeat(8_000)}`;
    expect(verbose.length).toBeGreaterThan(250_000);
    upstream.respond(reply(200, { success: true, message: verbose }));
    for (let send = 0; send < 100; send++) {
      const result = await otp.requestOtp(phoneRequest(10_000 + send), {
        clientIp: null,
        idempotencyKey: null,
      });
      if (result.kind !== "OtpSent") throw new Error(`send ${String(send)}: ${result.kind}`);
      expect(result.challenge.providerMessage?.length).toBeLessThanOrEqual(PROVIDER_MESSAGE_MAX_LENGTH);
    }
    const usage = store.usage();
    expect(usage.challenges).toBe(100);
    // Each challenge keeps at most 200 characters of the provider's text: well under a tenth of the bound.
    expect(usage.usedBytes).toBeLessThan(STORE_BYTES / 10);
  });

  it("markup, control, bidi and zero-width characters are removed, and what the request sent is masked", async () => {
    upstream.respond(
      reply(200, {
        success: true,
        message:
          "<b>OTP</b>\u202e sent\u0007 to\u200b +91980<i>001</i>\u200e2345\r\n<script>alert(1)</script>now",
      }),
    );
    const result = await otp.requestOtp(phoneRequest(12_345), { clientIp: null, idempotencyKey: null });
    if (result.kind !== "OtpSent") throw new Error(result.kind);
    expect(result.challenge.providerMessage).toBe("OTP sent to [redacted] alert(1)now");
    const [stored] = await store.loadChallenges([result.challenge.id]);
    expect(stored?.providerMessage).toBe("OTP sent to [redacted] alert(1)now");
  });
});
