/**
 * The HTTP server's own defences: timeouts, a connection cap that leaves room for probes, and well-formed requests
 * only. Node's defaults hold a request whose body stops arriving for ever (fastify sets no request timeout), and
 * a few hundred such requests used every file descriptor, `/healthz` included.
 */
import { STATUS_CODES, type Server } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance, FastifyServerOptions } from "fastify";
import type { Config } from "../config.js";

/** Connections past the cap that may still ask a probe: the kubelet's, while the cap is held by others. */
export const PROBE_RESERVE = 16;

/** How long a connection taken from the reserve may stay idle before it is closed. */
const RESERVE_IDLE_MS = 2_000;

/** What a connection taken from the reserve may ask. */
const PROBE_ROUTES = new Set(["/healthz", "/readyz", "/metrics"]);

/**
 * Timeouts on fastify's server (set on the instance, so they hold for a server from `serverFactory` too):
 * headers and body within `requestTimeoutMs` (checked every tenth of it, at most every second: node checks every
 * 30 s by default), and idle kept-alive connections closed after `keepAliveTimeoutMs`. At most the cap plus the
 * probes' reserve are accepted at all; node closes any further connection at once.
 */
export function applyServerLimits(server: Server, { http }: Pick<Config, "http">): void {
  server.requestTimeout = http.requestTimeoutMs;
  server.headersTimeout = http.requestTimeoutMs;
  // A constructor option that node reads again when the server starts listening (absent from @types/node 20).
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(
    10,
    Math.min(1000, Math.floor(http.requestTimeoutMs / 10)),
  );
  server.keepAliveTimeout = http.keepAliveTimeoutMs;
  server.maxConnections = http.maxConnections + PROBE_RESERVE;
}

/**
 * The connection cap above the kernel: a connection accepted while `maxConnections` others are open comes from the
 * probes' reserve; it may ask `GET /healthz`, `/readyz` or `/metrics` and is closed after its answer, and anything
 * else on it is 503. So a platform's probe still answers while slow or many clients hold the cap, and the whole
 * (cap plus reserve) stays bounded. A connection that sends no request at all is closed after the request timeout
 * (node's own timeouts start with a request's first byte), the reserve's after two seconds.
 */
export function capConnections(fastify: FastifyInstance, { http }: Pick<Config, "http">): void {
  const reserve = new WeakSet<Socket>();
  const beforeFirstRequest = new WeakSet<Socket>();
  let open = 0;
  fastify.server.on("connection", (socket: Socket) => {
    open += 1;
    socket.once("close", () => {
      open -= 1;
    });
    const inReserve = open > http.maxConnections;
    if (inReserve) reserve.add(socket);
    else beforeFirstRequest.add(socket);
    socket.setTimeout(inReserve ? RESERVE_IDLE_MS : http.requestTimeoutMs, () => socket.destroy());
  });
  fastify.addHook("onRequest", (request, reply, done) => {
    const socket = request.raw.socket;
    if (beforeFirstRequest.delete(socket)) {
      // From here node's request and keep-alive timeouts hold; a socket timeout would cut a slow answer.
      socket.setTimeout(0);
    }
    if (!reserve.has(socket)) {
      done();
      return;
    }
    void reply.header("connection", "close");
    if (request.method === "GET" && PROBE_ROUTES.has(request.routeOptions.url ?? "")) {
      done();
      return;
    }
    void reply
      .code(503)
      .header("retry-after", "1")
      .send(graphqlError("The server is at its connection limit; try again shortly.", "SERVICE_UNAVAILABLE"));
  });
}

/** A `Host` header as RFC 3986 allows it: a registered name or IPv4 address, or an IP literal, and a port. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[\w.~!$&'()*+,;=%-]*)(?::\d{0,5})?$/;

/**
 * A request whose target holds a raw `#` (never sent by a client: a URL's fragment stays on the client) or whose
 * `Host` is not a host is 400, before routing, and nothing of its URL is logged.
 */
export function refuseMalformedRequests(fastify: FastifyInstance): void {
  fastify.addHook("onRequest", (request, reply, done) => {
    const host = request.headers.host;
    if (request.url.includes("#") || (host !== undefined && !HOST.test(host))) {
      void reply
        .code(400)
        .header("connection", "close")
        .send(graphqlError("The request line or Host header is malformed.", "BAD_REQUEST"));
      return;
    }
    done();
  });
}

/**
 * Fastify's `clientErrorHandler` (what node could not parse, and requests past their timeout): 408 or 400, as
 * fastify answers, but logging only the error's code, at debug: fastify's own logs the raw packet, URL and all.
 */
export const clientErrorHandler: NonNullable<FastifyServerOptions["clientErrorHandler"]> = function (
  this: FastifyInstance,
  error: Error & { code?: string },
  socket: Socket,
) {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const status =
    error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : error.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
  this.log.debug({ code: error.code, statusCode: status }, "client error");
  if (socket.writable) {
    const body = JSON.stringify(graphqlError(STATUS_CODES[status] ?? "Bad Request", "BAD_REQUEST"));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
};

function graphqlError(message: string, code: string) {
  return { errors: [{ message, extensions: { code } }] };
}
