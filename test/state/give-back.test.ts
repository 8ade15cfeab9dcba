/**
 * What was certainly not sent is not counted (issue 19) and burns no single-use value (issue 20), on both stores:
 * when the request never reached the provider (refused connection, open breaker, in-flight cap, a refusal before
 * the OTP call), the cooldown, caps, range and budgets it took are given back; when the provider answered that no
 * OTP went out (DMT "1", "-1"), the DMT reference is given back. When it may have reached the provider (a timeout
 * after the request was written, an undocumented 5xx, a success), everything stays counted. Real loopback providers,
 * a real redis-server.
 */
import type { ServerResponse } from "node:http";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import type { LimitPolicy } from "../../src/otp/limits.js";
import { OtpService } from "../../src/otp/otp-service.js";
import type { ProviderAdapters } from "../../src/otp/ports.js";
import { MemoryStore } from "../../src/otp/store/memory.js";
import { StateKeys } from "../../src/otp/store/state-keys.js";
import type { OtpStore } from "../../src/otp/store/store.js";
import { dmt as dmtProvider } from "../../src/providers/dmt/index.js";
import type { DmtOtpFields } from "../../src/providers/dmt/input.js";
import { createGstAdapter } from "../../src/providers/gst/adapter.js";
import { gst as gstProvider } from "../../src/providers/gst/index.js";
import { UpstreamClient } from "../../src/providers/http-client.js";
import { phone as phoneProvider } from "../../src/providers/phone/index.js";
import { freePort } from "../helpers/ports.js";
import { uniquePrefix } from "../helpers/redis.js";
import { hang, ok, reply, startFaultServer, type FaultServer } from "../resilience/fault-server.js";
import {
  adaptersOf,
  asked,
  phoneRequest,
  backends,
  manualClock,
  phoneInput,
  STATE_SECRET,
  type ManualClock,
} from "./fixtures.js";
import { NO_LIMITS } from "../helpers/limits.js";

const redisUrl = inject("redisUrl");

/** Every limit at one send an hour: any count left behind refuses the next send. */
const ONE_OF_EACH: LimitPolicy = {
  cooldownSeconds: 30,
  maxPerDestinationPerHour: 1,
  maxPerDevicePerHour: 1,
  maxPerIpPerHour: 1,
  maxPerRangePerHour: 1,
  rangeSuffixDigits: 3,
  maxPerProviderPerHour: 1,
  maxPerCountryPerHour: 1,
};
const BREAKER = { breakerFailures: 1, breakerHalfOpenMs: 60_000, maxInFlight: 1 };

const context = { clientIp: "198.51.100.7", idempotencyKey: null };
const DMT_SENT = reply(200, { status: "SUCCESS", statusCode: "0", statusDesc: "OTP Sent Successfully." });
const DMT_FAILED = reply(200, { status: "FAILED", statusCode: "1", statusDesc: "Failed to send OTP" });
const DMT_AMOUNT = reply(200, {
  status: "FAILED",
  statusCode: "-1",
  statusDesc: "Requested Amount Must Not be EMPTY Or Only Number Allowed",
});
const GSTIN = "27AAPFU0939F1ZV";
const transaction = (externalRefNumber = "REF1432452"): { dmt: DmtOtpFields } => ({
  dmt: {
    customerMobileNumber: "8144094480",
    otpType: "TRANSACTION",
    username: "isutestapi1",
    externalRefNumber,
    requestedAmount: "1001",
    ovdType: "Aadhaar Card",
  },
});

const client = (resilience?: typeof BREAKER, timeoutMs = 2000) =>
  new UpstreamClient({ timeoutMs, maxBodyBytes: 64 * 1024, ...(resilience && { resilience }) });

/** Until `server` has seen `count` requests (the in-flight one is held open). */
async function requests(server: FaultServer, count: number): Promise<void> {
  while (server.requests.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
}

for (const backend of backends(redisUrl)) {
  describe.skipIf(backend.skip)(`what was certainly not sent is given back (${backend.name} store)`, () => {
    let clock: ManualClock;
    let store: OtpStore;
    const servers: FaultServer[] = [];
    beforeEach(() => {
      clock = manualClock();
      store = backend.make(clock.now, uniquePrefix("give-back"));
    });
    afterEach(async () => {
      await store.close();
      await Promise.all(servers.splice(0).map((server) => server.close()));
    });

    const start = async (handler = ok, port = 0) => {
      const server = await startFaultServer(handler, port);
      servers.push(server);
      return server;
    };
    /** The use case over `store` (another replica when called again), or over its own store. */
    const service = (adapters: ProviderAdapters, limits: LimitPolicy, own?: OtpStore) =>
      new OtpService({
        adapters,
        store: own ?? store,
        sandbox: false,
        limits,
        stateKeys: new StateKeys(STATE_SECRET),
        now: () => new Date(clock.now()),
      });
    const phone = (baseUrl: string, http = client()) =>
      adaptersOf([phoneProvider, phoneProvider.createAdapter({ baseUrl }, http)]);
    const dmt = (baseUrl: string, http = client()) =>
      adaptersOf([
        dmtProvider,
        dmtProvider.createAdapter({ baseUrl, clientId: "id", clientSecret: "secret" }, http),
      ]);

    /** Open the breaker of `adapter`'s client with one 503, sent through a service with a store of its own. */
    async function openBreaker(server: FaultServer, adapters: ProviderAdapters) {
      server.respond(reply(503, "down"));
      const opener = service(adapters, NO_LIMITS, new MemoryStore());
      const input = adapters.has(dmtProvider.id) ? transaction("OPENER1") : phoneInput(999);
      expect(await opener.requestOtp(asked(input), context)).toMatchObject({ kind: "ProviderUnavailable" });
      server.respond(ok);
      server.requests.length = 0;
    }

    describe("the limits (cooldown, caps, range, budgets)", () => {
      it("a refused connection: given back, so the retry once the provider is up is sent", async () => {
        const port = await freePort();
        const otp = service(phone(`http://127.0.0.1:${port}`), ONE_OF_EACH);
        expect(await otp.requestOtp(phoneRequest(7), context)).toMatchObject({
          kind: "ProviderUnavailable",
          providerCode: null,
        });
        const upstream = await start(ok, port);
        expect((await otp.requestOtp(phoneRequest(7), context)).kind).toBe("OtpSent");
        // Counted again now: the next one is refused.
        expect(await otp.requestOtp(phoneRequest(7), context)).toMatchObject({ kind: "RateLimited" });
        expect(upstream.requests).toHaveLength(1);
      });

      it("an open breaker: given back", async () => {
        const upstream = await start();
        const http = client(BREAKER);
        await openBreaker(upstream, phone(upstream.url, http));
        const refused = await service(phone(upstream.url, http), ONE_OF_EACH).requestOtp(
          asked(phoneInput(7)),
          context,
        );
        expect(refused).toMatchObject({ kind: "ProviderUnavailable", providerCode: null });
        expect(upstream.requests).toHaveLength(0);
        // Another replica, whose breaker is closed, sends at once.
        const replica = service(phone(upstream.url), ONE_OF_EACH);
        expect((await replica.requestOtp(phoneRequest(7), context)).kind).toBe("OtpSent");
      });

      it("the in-flight cap full: given back", async () => {
        const held: ServerResponse[] = [];
        const upstream = await start((res) => held.push(res));
        const http = client(BREAKER);
        const first = service(phone(upstream.url, http), NO_LIMITS, new MemoryStore()).requestOtp(
          asked(phoneInput(999)),
          context,
        );
        await requests(upstream, 1);
        const refused = await service(phone(upstream.url, http), ONE_OF_EACH).requestOtp(
          asked(phoneInput(7)),
          context,
        );
        expect(refused).toMatchObject({ kind: "ProviderUnavailable", providerCode: null });
        for (const res of held) res.writeHead(200).end(JSON.stringify({ success: true, message: "ok" }));
        expect((await first).kind).toBe("OtpSent");
        upstream.respond(ok);
        expect(
          (await service(phone(upstream.url), ONE_OF_EACH).requestOtp(phoneRequest(7), context)).kind,
        ).toBe("OtpSent");
      });

      it("a refusal after the limits were taken (GST's login refused, no OTP call made): given back", async () => {
        let loginWorks = false;
        const upstream = await start((res, req) => {
          if (req.url === "/login") {
            if (!loginWorks)
              reply(401, { error: { statusCode: 401, message: "login failed" } })(res, req, "");
            else reply(200, { id: "token-1", ttl: 3600, userId: "patron-1" })(res, req, "");
          } else reply(200, { result: { message: "OTP sent", appKey: "app-key-1" } })(res, req, "");
        });
        const gst = createGstAdapter(
          gstProvider.binding,
          { baseUrl: upstream.url, otpPath: "/otp", loginPath: "/login", apiUsername: "u", apiPassword: "p" },
          client(),
          clock.now,
        );
        const otp = service(adaptersOf([gstProvider, gst]), ONE_OF_EACH);
        const input = { gst: { gstin: GSTIN, username: "taxpayer.one" } };
        expect(await otp.requestOtp(asked(input), context)).toMatchObject({ kind: "ProviderAuthFailed" });
        loginWorks = true;
        clock.advance(1_000); // the login's back-off; the cooldown (30 s) and the hourly caps would still refuse
        expect((await otp.requestOtp(asked(input), context)).kind).toBe("OtpSent");
        expect(upstream.requests.map((request) => request.url)).toEqual(["/login", "/login", "/otp"]);
      });

      it("kept when the request may have reached the provider: a timeout, an undocumented 5xx", async () => {
        const upstream = await start(hang);
        const otp = service(phone(upstream.url, client(undefined, 300)), ONE_OF_EACH);
        expect(await otp.requestOtp(phoneRequest(7), context)).toMatchObject({ kind: "ProviderUnavailable" });
        upstream.respond(ok);
        expect(await otp.requestOtp(phoneRequest(7), context)).toMatchObject({ kind: "RateLimited" });

        upstream.respond(reply(503, "<html>down</html>"));
        // Only the destination's limits, so that the first send's counts do not refuse this one.
        const other = service(phone(upstream.url), {
          ...NO_LIMITS,
          cooldownSeconds: 30,
          maxPerDestinationPerHour: 1,
        });
        expect(await other.requestOtp(phoneRequest(8000), context)).toMatchObject({
          kind: "ProviderUnavailable",
          providerCode: "503",
        });
        upstream.respond(ok);
        expect(await other.requestOtp(phoneRequest(8000), context)).toMatchObject({ kind: "RateLimited" });
      });
    });

    describe("a DMT TRANSACTION's reference number", () => {
      it('a documented "1" or "-1" (no OTP went out): the same reference goes to the provider again', async () => {
        for (const [answer, reference] of [
          [DMT_FAILED, "REF0000001"],
          [DMT_AMOUNT, "REF0000002"],
        ] as const) {
          const upstream = await start(answer);
          const otp = service(dmt(upstream.url), NO_LIMITS);
          expect((await otp.requestOtp(asked(transaction(reference)), context)).kind).not.toBe("OtpSent");
          upstream.respond(DMT_SENT);
          expect((await otp.requestOtp(asked(transaction(reference)), context)).kind).toBe("OtpSent");
          expect(upstream.requests).toHaveLength(2);
          // Taken now: the OTP exists.
          expect(await otp.requestOtp(asked(transaction(reference)), context)).toMatchObject({
            kind: "InvalidInput",
            fieldErrors: [{ field: "dmt.externalRefNumber" }],
          });
        }
      });

      it('a "1" gives back the reference only: the destination cap stays counted (it reached the provider)', async () => {
        const upstream = await start(DMT_FAILED);
        const otp = service(dmt(upstream.url), { ...NO_LIMITS, maxPerDestinationPerHour: 1 });
        await otp.requestOtp(asked(transaction()), context);
        upstream.respond(DMT_SENT);
        expect(await otp.requestOtp(asked(transaction()), context)).toMatchObject({
          kind: "RateLimited",
          limitedBy: "LOCAL_POLICY",
        });
      });

      it("a refused connection or an open circuit: the same reference is sent once the provider is reachable", async () => {
        const port = await freePort();
        const otp = service(dmt(`http://127.0.0.1:${port}`), NO_LIMITS);
        expect(await otp.requestOtp(asked(transaction("REF0000003")), context)).toMatchObject({
          kind: "ProviderUnavailable",
        });
        const upstream = await start(DMT_SENT, port);
        expect((await otp.requestOtp(asked(transaction("REF0000003")), context)).kind).toBe("OtpSent");

        const http = client(BREAKER);
        await openBreaker(upstream, dmt(upstream.url, http));
        const refused = await service(dmt(upstream.url, http), NO_LIMITS).requestOtp(
          asked(transaction("REF0000004")),
          context,
        );
        expect(refused).toMatchObject({ kind: "ProviderUnavailable", providerCode: null });
        upstream.respond(DMT_SENT);
        expect(
          (await service(dmt(upstream.url), NO_LIMITS).requestOtp(asked(transaction("REF0000004")), context))
            .kind,
        ).toBe("OtpSent");
      });

      it("kept when an OTP may exist: a timeout after the request was written", async () => {
        const upstream = await start(hang);
        const otp = service(dmt(upstream.url, client(undefined, 300)), NO_LIMITS);
        expect(await otp.requestOtp(asked(transaction("REF0000005")), context)).toMatchObject({
          kind: "ProviderUnavailable",
        });
        upstream.respond(DMT_SENT);
        expect(await otp.requestOtp(asked(transaction("REF0000005")), context)).toMatchObject({
          kind: "InvalidInput",
          fieldErrors: [{ field: "dmt.externalRefNumber" }],
        });
        expect(upstream.requests).toHaveLength(1);
      });

      it("claimed before the call: two concurrent sends of one reference, one reaches the provider", async () => {
        const upstream = await start(DMT_SENT);
        const otp = service(dmt(upstream.url), NO_LIMITS);
        const results = await Promise.all([
          otp.requestOtp(asked(transaction("REF0000006")), context),
          otp.requestOtp(asked(transaction("REF0000006")), context),
        ]);
        expect(results.map((result) => result.kind).sort()).toEqual(["InvalidInput", "OtpSent"]);
        expect(upstream.requests).toHaveLength(1);
      });
    });
  });
}
