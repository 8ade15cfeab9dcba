/**
 * The client's IP address for the per-IP limits, in one spelling: a forwarded address counts only when it parses
 * as an IP, and each address has one form, so no other spelling of one address gets a fresh bucket.
 */
import { isIPv4, isIPv6 } from "node:net";
import type { FastifyRequest } from "fastify";
import type { Logger } from "pino";

/** An address with a port: `203.0.113.9:1234`, `[2001:db8::1]:443`, or an IPv6 literal in brackets alone. */
const WITH_PORT = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}|\[([^\]]+)\](?::\d{1,5})?)$/;

/** An IPv4-mapped IPv6 address in its usual spelling: `::ffff:203.0.113.9`. */
const MAPPED_DOTTED = /^::ffff:([\d.]+)$/i;

/** An IPv4-mapped IPv6 address as the URL parser writes it: `::ffff:cb00:7109`. */
const MAPPED = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/**
 * `text` as an IP address in its one form, or null when it is none: a port and brackets dropped, an IPv4-mapped
 * IPv6 address as its IPv4 (`::ffff:203.0.113.9`, `::ffff:cb00:7109` → `203.0.113.9`), IPv6 compressed and lower
 * case (RFC 5952: `2001:DB8:0:0::1` → `2001:db8::1`), a zone index dropped. IPv4 only in dotted decimal without
 * leading zeros (node's `isIPv4`): hex, octal and short forms are not addresses here.
 */
export function canonicalIp(text: string): string | null {
  const withPort = WITH_PORT.exec(text);
  const bracketed = withPort?.[2];
  const address = withPort ? (withPort[1] ?? bracketed ?? "") : text;
  // Brackets hold an IPv6 address only.
  if (bracketed === undefined && isIPv4(address)) return address;
  // A dual-stack socket's IPv4 peers, without a URL parse.
  const dotted = MAPPED_DOTTED.exec(address)?.[1];
  if (dotted !== undefined && isIPv4(dotted)) return dotted;
  if (!isIPv6(address)) return null;
  let compressed: string;
  try {
    // The WHATWG URL parser writes an IPv6 host in RFC 5952 form.
    compressed = new URL(`http://[${address.replace(/%.*$/, "")}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
  const mapped = MAPPED.exec(compressed);
  if (!mapped) return compressed;
  const high = Number.parseInt(mapped[1] ?? "", 16);
  const low = Number.parseInt(mapped[2] ?? "", 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/**
 * Reads each request's client IP: with `trustProxy` hops, the address fastify takes from `X-Forwarded-For` when
 * it parses, else the socket's (and the log says so once, with no value); the socket's with none. Both canonical.
 */
export class ClientIps {
  readonly #trustProxy: number;
  readonly #logger: Logger;
  #warned = false;

  constructor(trustProxy: number, logger: Logger) {
    this.#trustProxy = trustProxy;
    this.#logger = logger;
  }

  of(request: FastifyRequest): string | null {
    const socket = () => canonicalIp(request.socket.remoteAddress ?? "");
    if (this.#trustProxy === 0) return socket();
    const forwarded = canonicalIp(request.ip);
    if (forwarded !== null) return forwarded;
    if (!this.#warned) {
      this.#warned = true;
      this.#logger.warn(
        { trustProxy: this.#trustProxy },
        "X-Forwarded-For held an entry that is not an IP address at the trusted hop; such requests are counted " +
          "by the socket address (said once)",
      );
    }
    return socket();
  }
}
