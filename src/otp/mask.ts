/** Masks for destinations: safe to show a user and to write to a log. */

/** Never more than the last 4 digits of a phone number: `******3210`. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, "");
  return `${"*".repeat(Math.max(digits.length - 4, 2))}${digits.slice(-4)}`;
}

/** Keeps `head` characters and `tail` characters of an identifier (a PAN, a GSTIN), masking the rest. */
export function maskId(value: string, head: number, tail: number): string {
  if (value.length <= head + tail) return "*".repeat(value.length);
  return `${value.slice(0, head)}${"*".repeat(value.length - head - tail)}${value.slice(-tail)}`;
}
