/**
 * A challenge in the memory store's bytes: its sent time, the other times as milliseconds after it, the provider's
 * id interned (see README.md). What cannot be written so (never the case for a challenge the use case made) is kept
 * as the text form of `../challenge-codec.ts`, which Redis holds.
 */
import type { Challenge, OtpOutcome } from "../../model.js";
import { packChallenge, unpackChallenge } from "../challenge-codec.js";
import type { IdempotencyRecord } from "../store.js";
import type { ByteReader, ByteWriter } from "./bytes.js";

/**
 * Strings a memory store keeps once and refers to by number: providers' ids, the first {@link MAX_INTERNED} of
 * them up to {@link MAX_INTERNED_LENGTH} characters; others are written out in full. Nothing a provider wrote is
 * kept here (its message may name the person it was sent to, and must not outlive the challenge that holds it);
 * and, should a caller ask, a string with a digit never is (a reference, a masked number).
 */
export class Interned {
  readonly #numbers = new Map<string, number>();
  readonly #strings: string[] = [];
  /** The heap the table takes (each entry's map slot, array slot and string), counted from above. */
  bytes = 0;

  numberOf(text: string): number | undefined {
    const found = this.#numbers.get(text);
    if (found !== undefined || this.#strings.length >= MAX_INTERNED || text.length > MAX_INTERNED_LENGTH) {
      return found;
    }
    if (DIGIT.test(text)) return undefined;
    const number = this.#strings.length;
    this.#numbers.set(text, number);
    this.#strings.push(text);
    this.bytes += 56 + 8 + ((16 + 2 * text.length + 7) & ~7);
    return number;
  }

  stringOf(number: number): string {
    return this.#strings[number] ?? "";
  }
}

const MAX_INTERNED = 1024;
const MAX_INTERNED_LENGTH = 200;
const DIGIT = /\d/;

/** A string field: 0 for null, an odd number for an interned string, an even one for a string written out. */
function writeString(writer: ByteWriter, text: string | null, interned: Interned | null): void {
  const number = text === null ? undefined : interned?.numberOf(text);
  if (number !== undefined) {
    writer.uint(2 * number + 1);
    return;
  }
  if (text === null) {
    writer.uint(0);
    return;
  }
  writer.uint(2);
  writer.text(text);
}

function readString(reader: ByteReader, interned: Interned): string | null {
  const head = reader.uint();
  if (head === 0) return null;
  if (head % 2 === 1) return interned.stringOf((head - 1) / 2);
  return reader.text();
}

/** Whether a challenge's times and numbers are whole milliseconds and counts (they always are when sent). */
function packable(challenge: Challenge): boolean {
  const sentAt = challenge.sentAt.getTime();
  return (
    Number.isSafeInteger(sentAt) &&
    Number.isSafeInteger(challenge.resendAvailableAt.getTime() - sentAt) &&
    (challenge.expiresAt === null || Number.isSafeInteger(challenge.expiresAt.getTime() - sentAt)) &&
    (challenge.attemptsAllowed === null || Number.isSafeInteger(challenge.attemptsAllowed))
  );
}

/**
 * A challenge in the memory store's binary form, without its id (kept apart): its sent time, the other times as
 * milliseconds after it, the provider's id interned. Anything else is written as {@link packChallenge}'s
 * text after a 0 (never the case for a challenge the use case made, whose times are whole milliseconds).
 */
export function writeChallenge(writer: ByteWriter, challenge: Challenge, interned: Interned): void {
  if (!packable(challenge)) {
    writer.uint(0);
    writer.text(packChallenge(challenge));
    return;
  }
  const sentAt = challenge.sentAt.getTime();
  const { expiresAt, attemptsAllowed } = challenge;
  writer.uint((expiresAt === null ? 0 : 2) | (attemptsAllowed === null ? 0 : 4) | 1);
  writer.float(sentAt);
  if (expiresAt !== null) writer.int(expiresAt.getTime() - sentAt);
  writer.int(challenge.resendAvailableAt.getTime() - sentAt);
  if (attemptsAllowed !== null) writer.int(attemptsAllowed);
  writeString(writer, challenge.provider, interned);
  writeString(writer, challenge.destinationHint, null);
  writeString(writer, challenge.providerMessage, null);
  writeString(writer, challenge.providerReference, null);
}

export function readChallenge(reader: ByteReader, id: string, interned: Interned): Challenge {
  const flags = reader.uint();
  if (flags === 0) return unpackChallenge(reader.text() ?? "");
  const sentAt = reader.float();
  const expiresAt = flags & 2 ? new Date(sentAt + reader.int()) : null;
  const resendAvailableAt = new Date(sentAt + reader.int());
  const attemptsAllowed = flags & 4 ? reader.int() : null;
  return {
    id,
    provider: readString(reader, interned) ?? "",
    destinationHint: readString(reader, interned) ?? "",
    sentAt: new Date(sentAt),
    expiresAt,
    resendAvailableAt,
    attemptsAllowed,
    providerMessage: readString(reader, interned),
    providerReference: readString(reader, interned),
  };
}

/**
 * A done idempotency record: the input's fingerprint, then `1`, the challenge's id and its body for an `OtpSent`
 * (most are; its `devOtp` is never kept), else `0` and the outcome as JSON.
 */
export function writeRecord(
  writer: ByteWriter,
  fingerprint: string,
  outcome: OtpOutcome,
  interned: Interned,
): void {
  writer.key(fingerprint);
  if (outcome.kind === "OtpSent") {
    writer.uint(1);
    writer.key(outcome.challenge.id);
    writeChallenge(writer, outcome.challenge, interned);
    return;
  }
  writer.uint(0);
  writer.text(JSON.stringify(outcome));
}

export function readRecord(reader: ByteReader, interned: Interned): IdempotencyRecord {
  const fingerprint = reader.key();
  if (reader.uint() === 0) return { fingerprint, outcome: JSON.parse(reader.text() ?? "") as OtpOutcome };
  const id = reader.key();
  return {
    fingerprint,
    outcome: { kind: "OtpSent", challenge: readChallenge(reader, id, interned), devOtp: null },
  };
}
