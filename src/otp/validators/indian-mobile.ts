/**
 * Indian mobile numbers, as DMT and Paytm take them: 10 digits starting 6–9, sent bare.
 */

const NOTATION = /^(?:\+91|0)?([6-9]\d{9})$/;

/**
 * The bare 10 digits of an Indian mobile number, or null when `value` is not one. Accepts a `+91` or `0`
 * prefix and spaces or dashes anywhere: `+91 98765-43210`, `098765 43210`, `9876543210`.
 */
export function normaliseIndianMobile(value: string): string | null {
  const compact = value.replace(/[\s-]/g, "");
  return NOTATION.exec(compact)?.[1] ?? null;
}
