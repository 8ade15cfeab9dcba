import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OtpService } from "../../src/otp/otp-service.js";
import { MemoryStore } from "../../src/otp/store/memory.js";
import { StateKeys } from "../../src/otp/store/state-keys.js";
import { StoreUnavailableError } from "../../src/otp/store/store.js";
import { UpstreamClient } from "../../src/providers/http-client.js";
import { phone } from "../../src/providers/phone/index.js";
import { json, startUpstream, type Upstream } from "../helpers/upstream.js";
import { DEFAULT_LIMITS } from "../helpers/limits.js";
import { phoneRequest, adaptersOf, STATE_SECRET } from "./fixtures.js";

/** A memory store that loses its connection once the limits were counted, as Redis can mid-request. */
class StoreLostAfterLimits extends MemoryStore {
  override saveChallenge(): Promise<void> {
    return Promise.reject(new StoreUnavailableError("connection lost"));
  }

  override completeIdempotency(): Promise<void> {
    return Promise.reject(new StoreUnavailableError("connection lost"));
  }
}

describe("a store failure after the provider was asked", () => {
  let upstream: Upstream;
  beforeAll(async () => {
    upstream = await startUpstream(json(200, { success: true, message: "sent" }));
  });
  afterAll(() => upstream.close());

  it("still answers OtpSent (the SMS went out; a retry would send another) and reports each lost write", async () => {
    const lost: string[] = [];
    const service = new OtpService({
      adapters: adaptersOf([
        phone,
        phone.createAdapter(
          { baseUrl: upstream.url },
          new UpstreamClient({ timeoutMs: 2000, maxBodyBytes: 64 * 1024 }),
        ),
      ]),
      store: new StoreLostAfterLimits(),
      sandbox: false,
      limits: DEFAULT_LIMITS,
      stateKeys: new StateKeys(STATE_SECRET),
      onStateError: (error, step) => {
        expect(error).toBeInstanceOf(StoreUnavailableError);
        lost.push(step);
      },
    });
    const outcome = await service.requestOtp(phoneRequest(1), {
      clientIp: "127.0.0.1",
      idempotencyKey: "k-1",
    });
    expect(outcome.kind).toBe("OtpSent");
    expect(upstream.requests).toHaveLength(1);
    expect(lost).toEqual(["saveChallenge", "completeIdempotency"]);
  });
});
