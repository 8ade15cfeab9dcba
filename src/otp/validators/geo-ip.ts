/** Where a device is: `latitude,longitude` and its public IP address, as DMT takes them. */
import { isIP } from "node:net";

/** A decimal number of degrees: up to 3 integer digits, up to 15 decimals (a browser's geolocation gives ~14). */
const DEGREES = /^[+-]?\d{1,3}(?:\.\d{1,15})?$/;

/**
 * Whether `value` is two comma-separated decimal numbers within ±180 each (space around them allowed). Not
 * stricter: the document's own sample, `123.23,21.345`, has a first number above 90, so which one is the latitude
 * is not certain. Sent as given.
 */
export function isLatLong(value: string): boolean {
  const parts = value.split(",");
  if (parts.length !== 2) return false;
  return parts.every((part) => {
    const number = part.trim();
    return DEGREES.test(number) && Math.abs(Number(number)) <= 180;
  });
}

/**
 * Whether `value` is an IPv4 or IPv6 address in text form. Private ranges are accepted: the document's own
 * example is `192.168.1.1`, and what is "public" depends on where the device sits.
 */
export function isIpAddress(value: string): boolean {
  return isIP(value) !== 0;
}
