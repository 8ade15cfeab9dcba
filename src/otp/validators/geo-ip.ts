/** Where a device is: `latitude,longitude` and its public IP address, as DMT takes them. */
import { isIP } from "node:net";

const DEGREES = /^([+-]?\d{1,3}(?:\.\d{1,10})?)$/;

/**
 * `latitude,longitude` in decimal degrees, latitude in −90…90 and longitude in −180…180, normalised to
 * `lat,long` with no spaces; null when `value` is not that.
 */
export function normaliseLatLong(value: string): string | null {
  const parts = value.split(",");
  if (parts.length !== 2) return null;
  const [lat, long] = parts.map((part) => DEGREES.exec(part.trim())?.[1]);
  if (lat === undefined || long === undefined) return null;
  if (Math.abs(Number(lat)) > 90 || Math.abs(Number(long)) > 180) return null;
  return `${lat},${long}`;
}

/**
 * Whether `value` is an IPv4 or IPv6 address in text form. Private ranges are accepted: the document's own
 * example is `192.168.1.1`, and what is "public" depends on where the device sits.
 */
export function isIpAddress(value: string): boolean {
  return isIP(value) !== 0;
}
