/**
 * Aadhaar numbers: 12 digits, the first 2–9, the last a Verhoeff check digit. Only whether a number is
 * valid ever leaves this module; a number is never put into a message.
 */

/** Verhoeff's multiplication table of the dihedral group D5. */
const D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
] as const;

/** The position-dependent permutations: row i is p^i, p = (0 1 5 8 9 4 2 7)(3 6). */
const P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
] as const;

/** The inverses in D5. */
const INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9] as const;

/** The Verhoeff checksum of a digit string; 0 when its last digit is a correct check digit. */
function checksum(digits: string, offset: 0 | 1): number {
  let c = 0;
  for (let i = 0; i < digits.length; i++) {
    const digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    const permuted = P[(i + offset) % 8]?.[digit] ?? 0;
    c = D[c]?.[permuted] ?? 0;
  }
  return c;
}

/** Whether `digits` (only 0–9) ends in a correct Verhoeff check digit. */
export function hasVerhoeffCheckDigit(digits: string): boolean {
  return /^\d+$/.test(digits) && checksum(digits, 0) === 0;
}

/** The Verhoeff check digit to append to `digits` (only 0–9). */
export function verhoeffCheckDigit(digits: string): string {
  if (!/^\d*$/.test(digits)) throw new RangeError("Verhoeff check digits are defined for digits only");
  return String(INV[checksum(digits, 1)]);
}

/**
 * The bare 12 digits of an Aadhaar number, or null when `value` is not one. Spaces and dashes between digits
 * are accepted (`2345 6789 0124`), as Aadhaar letters print the number in groups of four.
 */
export function normaliseAadhaar(value: string): string | null {
  const compact = value.replace(/[\s-]/g, "");
  return /^[2-9]\d{11}$/.test(compact) && hasVerhoeffCheckDigit(compact) ? compact : null;
}
