import { randomBytes } from "node:crypto";
import { IDEMPOTENCY_TTL_SECONDS } from "./idempotency.js";
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

/** A provider id of typical length (5 characters); the use case names no provider. */
const PROVIDER = "X".repeat(5);

/**
 * The capacity of a memory store of `maxBytes` under `policy`. One typical send (a distinct destination, number
 * range, device and client IP, a 31-character provider message) is made against a store that has seen one before
 * (so its provider and message are interned), and the bytes it holds are read back as the store counts them at
 * worst (`MemoryStore.heldBytes`: every table just grown, half full). The bound holds at least that many sends: a
 * table is refused growth only when it is 3/4 full. A send's limit entries and challenge live an hour, an
 * idempotency record 24 hours.
 */
export async function memoryCapacity(maxBytes: number, policy: LimitPolicy): Promise<MemoryCapacity> {
  const store = new MemoryStore({ maxBytes });
  const keys = StateKeys.random();
  const send = async (index: number) => {
    const sentAt = new Date();
    const challenge: Challenge = {
      id: randomBytes(18).toString("base64url"),
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
          destination: `+919876${index}43210`,
          phone: `+919876${index}43210`,
          country: "IN",
          device: `device-012345678${index}`,
          clientIp: `203.0.113.${index}`,
        },
        keys,
      ),
    );
    await store.saveChallenge(challenge, CHALLENGE_TTL_SECONDS);
    return challenge;
  };
  const record = async (challenge: Challenge, index: number) => {
    const key = keys.key("idempotency", `3f2b8c1e-4d5a-4e6f-9a7b-8c9d0e1f2a3${index}`);
    const token = `9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6${index}`;
    await store.claimIdempotency(key, keys.key("fingerprint", `input ${index}`), token, 30);
    await store.completeIdempotency(
      key,
      token,
      { kind: "OtpSent", challenge, devOtp: null },
      IDEMPOTENCY_TTL_SECONDS,
    );
  };
  await record(await send(1), 1);
  const held = () => store.heldBytes();
  const before = held();
  const challenge = await send(2);
  const bytesPerSend = held() - before;
  await record(challenge, 2);
  const bytesPerIdempotencyRecord = held() - before - bytesPerSend;
  const admitted = store.admitBytes;
  const keptHours = IDEMPOTENCY_TTL_SECONDS / CHALLENGE_TTL_SECONDS;
  return {
    bytesPerSend,
    bytesPerIdempotencyRecord,
    sendsPerHour: Math.floor(admitted / bytesPerSend),
    sendsPerHourWithKeys: Math.floor(admitted / (bytesPerSend + keptHours * bytesPerIdempotencyRecord)),
  };
}

/** The line after the start-up message with the memory store: what a bound of `maxMb` keeps under `policy`. */
export async function memoryCapacityLine(maxMb: number, policy: LimitPolicy): Promise<string> {
  const capacity = await memoryCapacity(maxMb * 1024 * 1024, policy);
  return (
    `memory store: ${String(maxMb)} MB keeps the limits of ${String(capacity.sendsPerHour)} sends an hour ` +
    `(${String(capacity.sendsPerHourWithKeys)} with idempotency keys, kept 24 h); past that, new sends are ` +
    `refused (RateLimited), never a live limit forgotten. Use OTP_STORE=redis for more.\n`
  );
}
