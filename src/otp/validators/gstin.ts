/**
 * GSTIN (GST identification number), 15 characters: a 2-digit state code, 10 characters that identify the holder,
 * two more, and a mod-36 check character over the first 14. What the middle holds depends on who registered:
 *
 * - PAN-based (most registrations, also e-commerce operators collecting tax): state code 01–38 or 97, the holder's
 *   PAN, an entity character (1–9, A–Z: the holder's n-th registration in the state), any 14th character (mostly Z).
 * - Tax deductor (TDS): state code, the deductor's TAN (`AAAA99999A`), entity character, `D`.
 * - Government department: state code, a TAN-shaped department id, a digit, `Z`.
 * - Non-resident taxable person: state code, 2-digit year, 3-letter country code, 5 digits, `NR`.
 * - Online services from abroad (OIDAR): state code 99, year, country code, 5 digits, `OS`.
 * - UN body, embassy or other notified person (UIN): state code, year, a 3-letter code, 5 digits, `UN` or `ON`.
 *
 * The PAN's holder-type letter is checked only where characters 3–12 are a PAN. The shapes are the ones the
 * GST portal's own forms accept (as collected in india-compliance's `GSTIN_FORMATS`). Pure functions: they never
 * throw, whatever the string.
 */
import { PAN_HOLDER_TYPE_LIST, panFault } from "./pan.js";

export const GSTIN_LENGTH = 15;

/** State and union-territory codes of the GST system (01–38) and 97 (other territory). */
export const GST_STATE_CODES: ReadonlySet<string> = new Set([
  ...Array.from({ length: 38 }, (_, index) => String(index + 1).padStart(2, "0")),
  "97",
]);

/** The state code of every GSTIN issued to a provider of online services from abroad (OIDAR). */
export const OIDAR_STATE_CODE = "99";

/** Who a GSTIN was issued to, as its characters 3–14 tell. */
export type GstinStructure =
  | "pan"
  | "taxDeductor"
  | "governmentDepartment"
  | "nonResident"
  | "onlineServicesFromAbroad"
  | "unBodyOrEmbassy";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const PAN_SHAPE = /^[A-Z]{5}\d{4}[A-Z]$/;
const TAN_SHAPE = /^[A-Z]{4}\d{5}[A-Z]$/;
/** Year of registration, a 3-letter country (or organisation) code and a 5-digit number. */
const FOREIGN_SHAPE = /^\d{2}[A-Z]{3}\d{5}$/;
const FOREIGN_SUFFIXES: Readonly<Record<string, GstinStructure>> = {
  NR: "nonResident",
  OS: "onlineServicesFromAbroad",
  UN: "unBodyOrEmbassy",
  ON: "unBodyOrEmbassy",
};

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

/** The structure characters 3–14 of a (normalised, 15-character) GSTIN have, or `undefined` for none. */
export function gstinStructure(gstin: string): GstinStructure | undefined {
  const middle = gstin.slice(2, 12);
  const suffix = gstin.slice(12, 14);
  if (PAN_SHAPE.test(middle)) return "pan";
  if (TAN_SHAPE.test(middle)) {
    if (suffix.charAt(1) === "D") return "taxDeductor";
    if (/^\dZ$/.test(suffix)) return "governmentDepartment";
    return undefined;
  }
  return FOREIGN_SHAPE.test(middle) ? FOREIGN_SUFFIXES[suffix] : undefined;
}

/** Why a (normalised) GSTIN is not valid, one message per failure; empty when it is valid. */
export function gstinProblems(gstin: string): string[] {
  if (gstin.length !== GSTIN_LENGTH) {
    return [`Must be ${GSTIN_LENGTH} characters; this has ${Array.from(gstin).length}.`];
  }
  if (!/^[0-9A-Z]+$/.test(gstin)) return ["Must contain only the letters A–Z and the digits 0–9."];

  const problems: string[] = [];
  const structure = gstinStructure(gstin);
  const stateCode = gstin.slice(0, 2);
  if (structure === "onlineServicesFromAbroad") {
    if (stateCode !== OIDAR_STATE_CODE) {
      problems.push("Characters 1–2 must be 99 in the GSTIN of a provider of online services from abroad.");
    }
  } else if (!GST_STATE_CODES.has(stateCode)) {
    problems.push(
      "Characters 1–2 must be a GST state code (01–38 or 97; 99 only for online services from abroad).",
    );
  }
  problems.push(...middleProblems(gstin, structure));
  if (gstinCheckCharacter(gstin.slice(0, 14)) !== gstin.charAt(14)) {
    problems.push("Character 15 does not match the check character of the first 14; look for a typo.");
  }
  return problems;
}

/** Characters 3–14: what the structure requires, or (with none) what the likeliest one would have required. */
function middleProblems(gstin: string, structure: GstinStructure | undefined): string[] {
  const entity = /^[1-9A-Z]$/.test(gstin.charAt(12))
    ? []
    : ["Character 13 must be the entity number, 1–9 or A–Z."];
  switch (structure) {
    case "pan":
      return panFault(gstin.slice(2, 12)) === "holderType"
        ? [`Character 6 (the PAN's 4th) must be a PAN holder type (${PAN_HOLDER_TYPE_LIST}).`, ...entity]
        : entity;
    case "taxDeductor":
      return entity;
    case undefined:
      break;
    default:
      return [];
  }
  if (FOREIGN_SUFFIXES[gstin.slice(12, 14)]) {
    return [
      `Characters 3–12 must be a 2-digit year, a 3-letter country code and a 5-digit number (a GSTIN ending in ${gstin.slice(12, 14)}).`,
    ];
  }
  if (gstin.charAt(13) === "D") {
    return [
      "Characters 3–12 must be the tax deductor's TAN (4 letters, 5 digits and a letter) or PAN.",
      ...entity,
    ];
  }
  return ["Characters 3–12 must be the holder's PAN: 5 letters, 4 digits and a letter.", ...entity];
}

/** Whether a (normalised) GSTIN is valid. */
export function isValidGstin(gstin: string): boolean {
  return gstinProblems(gstin).length === 0;
}
