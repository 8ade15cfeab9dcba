import { describe, expect, it } from "vitest";
import type { Challenge, OtpOutcome } from "../../src/otp/model.js";
import { decodeOutcome, encodeOutcome } from "../../src/otp/store/challenge-codec.js";
import { ByteReader, ByteWriter } from "../../src/otp/store/memory/bytes.js";
import { Interned, readChallenge, writeChallenge } from "../../src/otp/store/memory/challenge-bytes.js";
import { CounterTable, hashed, hashKey, MIN_SLOTS } from "../../src/otp/store/memory/counter-table.js";
import { MemoryStore } from "../../src/otp/store/memory.js";
import { RecordLog } from "../../src/otp/store/memory/record-log.js";

/** A small deterministic generator (mulberry32), so a failing sequence can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TTL = 1000;

describe("counter table", () => {
  it("agrees with a plain map through writes, expiry, sweeps, growth and shrinking", () => {
    const next = random(15);
    const table = new CounterTable(TTL);
    const model = new Map<string, number>();
    let now = 1;
    for (let step = 0; step < 60_000; step++) {
      now += Math.floor(next() * 3);
      const key = `k${Math.floor(next() * 3000)}`;
      hashKey(key);
      const { a, b } = hashed;
      const slot = table.locate(a, b, now);
      const live = (model.get(key) ?? -Infinity) + TTL > now;
      expect(table.timesAt(slot, now)).toBe(live ? model.get(key) : undefined);
      if (next() < 0.5) {
        if (slot < 0 && table.growthFor(1) > 0) table.grow(1, now);
        table.write(slot < 0 ? table.locate(a, b, now) : slot, a, b, now);
        model.set(key, now);
        table.step(now);
      }
      if (next() < 0.001) table.sweep(now);
    }
    table.sweep(now);
    const liveKeys = [...model].filter(([, time]) => time + TTL > now);
    expect(table.size).toBe(liveKeys.length);
    for (const [key, time] of liveKeys) {
      hashKey(key);
      expect(table.timesAt(table.locate(hashed.a, hashed.b, now), now)).toBe(time);
    }
  });

  it("keeps several times of a key in its pool, and gives the pool back when it expires", () => {
    const table = new CounterTable(TTL);
    hashKey("several");
    const { a, b } = hashed;
    table.write(table.locate(a, b, 10), a, b, [5, 10]);
    expect(table.timesAt(table.locate(a, b, 20), 20)).toEqual([5, 10]);
    const withPool = table.bytes;
    expect(table.sweep(2000)).toBe(Infinity);
    expect(table.size).toBe(0);
    expect(table.bytes).toBeLessThan(withPool);
  });
});

describe("record log", () => {
  it("finds the latest record of each key until its chunk expires, and forgets it then", () => {
    const log = new RecordLog(TTL, 512);
    const next = random(12);
    const written = new Map<string, { at: number; body: number }>();
    let now = 1;
    for (let step = 0; step < 20_000; step++) {
      now += Math.floor(next() * 2);
      // Keys of both forms: canonical base64url (kept as bytes) and any text.
      const index = Math.floor(next() * 500);
      const key = index % 2 ? Buffer.from(String(index)).toString("base64url") : `key ${index}`;
      const found = log.find(key, now);
      const expected = written.get(key);
      if (expected && expected.at + TTL > now) expect(found?.uint()).toBe(expected.body);
      else expect(found).toBeUndefined();
      if (next() < 0.3) {
        const body = Math.floor(next() * 1e9);
        const writer = new ByteWriter();
        writer.uint(body);
        log.append(key, writer.view(), now);
        written.set(key, { at: now, body });
      }
    }
    log.expire(now + TTL);
    expect(log.size).toBe(0);
    expect(log.nextRelease).toBe(Infinity);
  });
});

describe("packed challenges and outcomes", () => {
  const challenge: Challenge = {
    id: "Xk3v9QmZ7pL2wR8sT4yN1bC6",
    provider: "PHONE",
    destinationHint: "******3210",
    sentAt: new Date(Date.UTC(2026, 0, 1, 9)),
    expiresAt: new Date(Date.UTC(2026, 0, 1, 9, 10)),
    resendAvailableAt: new Date(Date.UTC(2026, 0, 1, 9, 0, 30)),
    attemptsAllowed: 3,
    providerMessage: "OTP envoyé ✓",
    providerReference: "ref-1",
  };

  it("reads a challenge back as it was written, the fields that may be null too", () => {
    const interned = new Interned();
    for (const written of [
      challenge,
      {
        ...challenge,
        expiresAt: null,
        attemptsAllowed: null,
        providerMessage: null,
        providerReference: null,
      },
      // Not whole milliseconds after the sent time: kept as text.
      { ...challenge, expiresAt: new Date(Number.NaN) },
    ]) {
      const writer = new ByteWriter();
      writeChallenge(writer, written, interned);
      const read = readChallenge(new ByteReader(writer.view(), 0), written.id, interned);
      expect(JSON.stringify(read)).toBe(JSON.stringify(written));
    }
  });

  it("keeps a provider's id once, never what a provider wrote nor a string with a digit", () => {
    const interned = new Interned();
    expect(interned.numberOf("PHONE")).toBe(0);
    expect(interned.numberOf("PHONE")).toBe(0);
    expect(interned.numberOf("OTP sent to ******3210")).toBeUndefined();
    expect(interned.stringOf(0)).toBe("PHONE");
    const writer = new ByteWriter();
    const challenge = {
      id: "Xk3v9QmZ7pL2wR8sT4yN1bC6",
      provider: "PAYTM",
      destinationHint: "******3210",
      sentAt: new Date(1_700_000_000_000),
      expiresAt: null,
      resendAvailableAt: new Date(1_700_000_030_000),
      attemptsAllowed: null,
      providerMessage: "OTP sent to Ramesh Kumar",
      providerReference: null,
    };
    writeChallenge(writer, challenge, interned);
    expect(interned.stringOf(1)).toBe("PAYTM");
    expect(interned.numberOf("OTP sent to Ramesh Kumar")).toBe(2);
    // Written out, not interned: the challenge reads back the same from its own bytes.
    expect(readChallenge(new ByteReader(writer.view(), 0), challenge.id, new Interned())).toMatchObject({
      providerMessage: "OTP sent to Ramesh Kumar",
    });
  });

  it("Redis stores an OtpSent as its packed challenge, never its OTP, and reads an answer stored as JSON before", () => {
    const sent: OtpOutcome = { kind: "OtpSent", challenge, devOtp: "123456" };
    const encoded = encodeOutcome(sent);
    expect(encoded).not.toContain("123456");
    expect(encoded.length).toBeLessThan(JSON.stringify(sent).length);
    expect(decodeOutcome(encoded)).toEqual({ ...sent, devOtp: null });
    const before = JSON.stringify({ ...sent, devOtp: null });
    expect(decodeOutcome(before)).toEqual({ ...sent, devOtp: null });
  });
});

describe("memory store: one send touching a new key and an expired one in the same table", () => {
  it("counts both, whichever the new key's probe passes first", async () => {
    const HOUR = 3_600_000;
    const home = (key: string) => {
      hashKey(key);
      return (hashed.a >>> 0) % MIN_SLOTS;
    };
    // B's probe starts at A's slot: B may take it once A's entry has expired, as a free slot on its way.
    const a = "cap:a";
    let b = "cap:b0";
    for (let index = 1; home(b) !== home(a); index++) b = `cap:b${index}`;
    const cap = (key: string) => ({ name: "destination" as const, key, max: 1, keep: 1, windowMs: HOUR });
    let now = 1_000_000;
    const store = new MemoryStore({ now: () => now });
    expect(await store.consumeLimits({ cooldown: null, caps: [cap(a)] })).toMatchObject({ allowed: true });
    now += HOUR + 1;
    expect(await store.consumeLimits({ cooldown: null, caps: [cap(b), cap(a)] })).toMatchObject({
      allowed: true,
    });
    // Both sends were counted: each key is at its cap of one an hour.
    expect(await store.consumeLimits({ cooldown: null, caps: [cap(a)] })).toMatchObject({ allowed: false });
    expect(await store.consumeLimits({ cooldown: null, caps: [cap(b)] })).toMatchObject({ allowed: false });
  });
});
