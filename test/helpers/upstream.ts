import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { freePort } from "./ports.js";

/** What reached a loopback upstream. */
export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  text: string;
  json: unknown;
}

export type UpstreamHandler = (
  request: RecordedRequest,
  res: ServerResponse,
  req: IncomingMessage,
) => void | Promise<void>;

/** A real HTTP server on loopback that records every request and answers with `handler`. */
export interface Upstream {
  url: string;
  requests: RecordedRequest[];
  /** Replace the handler for the next requests. */
  respond(handler: UpstreamHandler): void;
  close(): Promise<void>;
}

/** Answer JSON with a status and headers. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): UpstreamHandler {
  return (_request, res) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };
}

export async function startUpstream(initial: UpstreamHandler = json(200, {})): Promise<Upstream> {
  let handler = initial;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const recorded = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        text,
        json: parsed,
      };
      requests.push(recorded);
      void handler(recorded, res, req);
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond: (next) => {
      handler = next;
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

/** A loopback URL where nothing listens (connection refused). */
export async function refusedUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}
