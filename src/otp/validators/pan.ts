/**
 * PAN (Permanent Account Number): five letters, four digits, a letter (`AAAAA9999A`), whose 4th letter says who
 * holds it. Pure functions: they never throw, whatever the string.
 */

/** The 4th letter of a PAN and the kind of holder it stands for. */
export const PAN_HOLDER_TYPES = {
  P: "individual",
  C: "company",
  H: "Hindu undivided family",
  A: "association of persons",
  B: "body of individuals",
  G: "government",
  J: "artificial juridical person",
  L: "local authority",
  F: "firm or LLP",
  T: "trust",
} as const;

export type PanHolderType = keyof typeof PAN_HOLDER_TYPES;

const PAN_SHAPE = /^[A-Z]{5}\d{4}[A-Z]$/;

/** Trims and upper-cases ASCII letters only, so that no other script is folded into a valid-looking PAN. */
export function normalisePan(raw: string): string {
  return raw.trim().replace(/[a-z]/g, (letter) => letter.toUpperCase());
}

/** What is wrong with a PAN: not `AAAAA9999A`, or a 4th letter that is no holder type. */
export type PanFault = "shape" | "holderType";

/** The holder-type letters, for messages: `P, C, H, A, B, G, J, L, F or T`. */
export const PAN_HOLDER_TYPE_LIST = Object.keys(PAN_HOLDER_TYPES)
  .join(", ")
  .replace(/, (\w)$/, " or $1");

/** What is wrong with a (normalised) PAN, or `null` when it is valid. */
export function panFault(pan: string): PanFault | null {
  if (!PAN_SHAPE.test(pan)) return "shape";
  return isPanHolderType(pan.charAt(3)) ? null : "holderType";
}

/** Why a (normalised) PAN is not valid, one message per failure; empty when it is valid. */
export function panProblems(pan: string): string[] {
  switch (panFault(pan)) {
    case "shape":
      return ["Must be 5 letters, 4 digits and a letter, like ABCPE1234F."];
    case "holderType":
      return [`The 4th letter must be a PAN holder type (${PAN_HOLDER_TYPE_LIST}).`];
    case null:
      return [];
  }
}

/** Whether a (normalised) PAN is valid. */
export function isValidPan(pan: string): boolean {
  return panFault(pan) === null;
}

function isPanHolderType(letter: string): letter is PanHolderType {
  return Object.hasOwn(PAN_HOLDER_TYPES, letter);
}
