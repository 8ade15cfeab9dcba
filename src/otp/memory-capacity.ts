import { encodeOutcome, IDEMPOTENCY_TTL_SECONDS } from "./idempotency.js";
import { limitRequest, type LimitPolicy } from "./limits.js";
import type { Challenge } from "./model.js";
import { MemoryStore } from "./store/memory.js";
import { StateKeys } from "./store/state-keys.js";
import { CHALLENGE_TTL_SECONDS } from "./store/store.js";

/** What a memory bound holds, counted by the store itself for one typical send. */
export interface MemoryCapacity {
  /** The state of one send that lives an hour: its limit entries (cooldown, caps) and its challenge. */
  bytesPerSend: number;
  /** One idempotency record with its first answer (kept 24 h). */
  bytesPerIdempotencyRecord: number;
  /** Sends an hour the bound keeps every limit of, without idempotency keys. */
  sendsPerHour: number;
  /** The same when every send carries an idempotency key (its record lives 24 h). */
  sendsPerHourWithKeys: number;
}

/**
 * The capacity of a memory store of `maxBytes` under `policy`: one typical send (a distinct destination,
 * device and client IP, a 31-character provider message) is made against an empty store and the bytes it
 * counts are read back. A send's limit entries and challenge live an hour, an idempotency record 24 hours.
 */
/** A provider id of typical length (5 characters); the use case names no provider. */
const PROVIDER = "X".repeat(5);

export async function memoryCapacity(maxBytes: number, policy: LimitPolicy): Promise<MemoryCapacity> {
  const store = new MemoryStore({ maxBytes });
  const keys = StateKeys.random();
  const used = () => store.usage().usedBytes;
  const sentAt = new Date();
  const challenge: Challenge = {
    id: "Xk3v9QmZ7pL2wR8sT4yN1bC6",
    provider: PROVIDER,
    destinationHint: "******3210",
    sentAt,
    expiresAt: null,
    resendAvailableAt: new Date(sentAt.getTime() + policy.cooldownSeconds * 1000),
    attemptsAllowed: null,
    providerMessage: "request processed successfully.",
    providerReference: null,
  };
  await store.consumeLimits(
    limitRequest(
      policy,
      {
        provider: PROVIDER,
        destination: "+919876543210",
        device: "device-0123456789",
        clientIp: "203.0.113.7",
      },
      keys,
    ),
  );
  await store.saveChallenge(challenge, CHALLENGE_TTL_SECONDS);
  const bytesPerSend = used();
  const key = keys.key("idempotency", "3f2b8c1e-4d5a-4e6f-9a7b-8c9d0e1f2a3b");
  const token = "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
  await store.claimIdempotency(key, keys.key("fingerprint", "input"), token, 30);
  await store.completeIdempotency(
    key,
    token,
    encodeOutcome({ kind: "OtpSent", challenge, devOtp: null }),
    IDEMPOTENCY_TTL_SECONDS,
  );
  const bytesPerIdempotencyRecord = used() - bytesPerSend;
  const admitted = store.admitBytes;
  const keptHours = IDEMPOTENCY_TTL_SECONDS / CHALLENGE_TTL_SECONDS;
  return {
    bytesPerSend,
    bytesPerIdempotencyRecord,
    sendsPerHour: Math.floor(admitted / bytesPerSend),
    sendsPerHourWithKeys: Math.floor(admitted / (bytesPerSend + keptHours * bytesPerIdempotencyRecord)),
  };
}
