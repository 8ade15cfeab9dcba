import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** How a misbehaving provider answers one request (the request body has been read). */
export type FaultHandler = (res: ServerResponse, req: IncomingMessage, body: string) => void;

/** A real loopback HTTP server that misbehaves on demand and counts what reached it. */
export interface FaultServer {
  url: string;
  port: number;
  /** Requests whose body arrived, in order. */
  requests: { url: string; headers: IncomingMessage["headers"]; body: string }[];
  /** TCP connections accepted so far. */
  readonly connections: number;
  respond(handler: FaultHandler): void;
  /** Resolves once every connection to the server is closed; rejects after `withinMs`. */
  socketsClosed(withinMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Start a fault server on `127.0.0.1` (on `port` when given). Idle keep-alive connections are closed after
 * 100 ms, so a connection still open after that is one the client never let go of.
 */
export async function startFaultServer(initial: FaultHandler = ok, port = 0): Promise<FaultServer> {
  let handler = initial;
  let connections = 0;
  const sockets = new Set<Socket>();
  const requests: FaultServer["requests"] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      requests.push({ url: req.url ?? "", headers: req.headers, body });
      handler(res, req, body);
    });
  });
  server.keepAliveTimeout = 100;
  server.on("connection", (socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => {
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    requests,
    get connections() {
      return connections;
    },
    respond: (next) => {
      handler = next;
    },
    socketsClosed: async (withinMs = 2_000) => {
      const deadline = Date.now() + withinMs;
      while (sockets.size > 0) {
        if (Date.now() > deadline) throw new Error(`${sockets.size} upstream connection(s) still open`);
        await sleep(20);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A JSON answer. */
export function reply(status: number, body: unknown, headers: Record<string, string> = {}): FaultHandler {
  return (res) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };
}

/** The PHONE provider's documented success. */
export const ok: FaultHandler = reply(200, { success: true, message: "request processed successfully" });

/** Headers never come: the request is read and left hanging. */
export const hang: FaultHandler = () => undefined;

/** Headers at once, then one body byte every `everyMs`, for ever (until the client goes away). */
export function slowDrip(everyMs = 50): FaultHandler {
  return (res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"success":true,"message":"');
    const timer = setInterval(() => res.write("."), everyMs);
    res.on("close", () => {
      clearInterval(timer);
    });
  };
}

/** Headers and part of the body, then the connection is reset. */
export const resetMidBody: FaultHandler = (res) => {
  res.writeHead(200, { "content-type": "application/json", "content-length": "200" });
  res.write('{"success":true,"message":"request proc');
  setTimeout(() => res.socket?.resetAndDestroy(), 20);
};

/** A body of `bytes`, with its length declared up front or streamed in chunks with none. */
export function hugeBody(bytes: number, declared: boolean): FaultHandler {
  return (res) => {
    res.writeHead(200, {
      "content-type": "application/json",
      ...(declared && { "content-length": String(bytes) }),
    });
    const chunk = Buffer.alloc(64 * 1024, "x");
    let sent = 0;
    const pump = () => {
      while (sent < bytes && !res.destroyed) {
        const part = chunk.subarray(0, Math.min(chunk.length, bytes - sent));
        sent += part.length;
        if (!res.write(part)) return;
      }
      if (sent >= bytes && !res.destroyed) res.end();
    };
    res.on("drain", pump);
    pump();
  };
}
