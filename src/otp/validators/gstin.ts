/**
 * GSTIN (GST identification number), 15 characters: a 2-digit state code, the holder's PAN, an entity character
 * (the holder's 1st–35th registration in that state), a 14th character (`Z` for most), and a mod-36 check
 * character over the first 14. Pure functions: they never throw, whatever the string.
 */
import { PAN_HOLDER_TYPE_LIST, panFault } from "./pan.js";

export const GSTIN_LENGTH = 15;

/** State and union-territory codes of the GST system (01–38), 97 (other territory) and 99 (centre jurisdiction). */
export const GST_STATE_CODES: ReadonlySet<string> = new Set([
  ...Array.from({ length: 38 }, (_, index) => String(index + 1).padStart(2, "0")),
  "97",
  "99",
]);

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Trims and upper-cases ASCII letters only, so that no other script is folded into a valid-looking GSTIN. */
export function normaliseGstin(raw: string): string {
  return raw.trim().replace(/[a-z]/g, (letter) => letter.toUpperCase());
}

/**
 * The check character of a GSTIN from its first 14 characters (GSTN's mod-36 scheme: weights 1 and 2
 * alternating, each product folded as quotient + remainder). `undefined` when they are not 14 of `0-9A-Z`.
 */
export function gstinCheckCharacter(first14: string): string | undefined {
  if (!/^[0-9A-Z]{14}$/.test(first14)) return undefined;
  let sum = 0;
  for (let index = 0; index < 14; index++) {
    const product = ALPHABET.indexOf(first14.charAt(index)) * (index % 2 === 0 ? 1 : 2);
    sum += Math.floor(product / 36) + (product % 36);
  }
  return ALPHABET.charAt((36 - (sum % 36)) % 36);
}

/** Why a (normalised) GSTIN is not valid, one message per failure; empty when it is valid. */
export function gstinProblems(gstin: string): string[] {
  if (gstin.length !== GSTIN_LENGTH) {
    return [`Must be ${GSTIN_LENGTH} characters; this has ${Array.from(gstin).length}.`];
  }
  if (!/^[0-9A-Z]+$/.test(gstin)) return ["Must contain only the letters A–Z and the digits 0–9."];

  const problems: string[] = [];
  if (!GST_STATE_CODES.has(gstin.slice(0, 2))) {
    problems.push("Characters 1–2 must be a GST state code (01–38, 97 or 99).");
  }
  switch (panFault(gstin.slice(2, 12))) {
    case "shape":
      problems.push("Characters 3–12 must be the holder's PAN: 5 letters, 4 digits and a letter.");
      break;
    case "holderType":
      problems.push(`Character 6 (the PAN's 4th) must be a PAN holder type (${PAN_HOLDER_TYPE_LIST}).`);
      break;
    case null:
      break;
  }
  if (!/^[1-9A-Z]$/.test(gstin.charAt(12))) {
    problems.push("Character 13 must be the entity number, 1–9 or A–Z.");
  }
  if (gstinCheckCharacter(gstin.slice(0, 14)) !== gstin.charAt(14)) {
    problems.push("Character 15 does not match the check character of the first 14; look for a typo.");
  }
  return problems;
}

/** Whether a (normalised) GSTIN is valid. */
export function isValidGstin(gstin: string): boolean {
  return gstinProblems(gstin).length === 0;
}
