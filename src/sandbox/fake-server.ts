import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A request as a fake provider sees it. */
export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or `undefined` when the body was not JSON. */
  body: unknown;
  /** The body as text (for a form). */
  text: string;
}

/** What a fake provider answers. */
export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** A provider's documented behaviour, as a pure function of the request. */
export type FakeProvider = (request: FakeRequest) => FakeResponse;

/** A fake provider listening on loopback. */
export interface RunningFake {
  url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;

/** Serve a fake provider on `127.0.0.1` at an ephemeral port. */
export async function startFake(handler: FakeProvider): Promise<RunningFake> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => {
      const target = new URL(req.url ?? "/", "http://sandbox");
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      const answer =
        size > MAX_BODY_BYTES
          ? { status: 413, body: { message: "Payload too large" } }
          : handler({
              method: req.method ?? "GET",
              path: target.pathname,
              query: target.searchParams,
              headers: req.headers,
              body,
              text,
            });
      const headers = { "content-type": "application/json", ...answer.headers };
      res.writeHead(answer.status, headers);
      // A string answered as something other than JSON (an HTML error page) goes as it is, not JSON-encoded.
      const raw = typeof answer.body === "string" && !headers["content-type"].includes("json");
      res.end(raw ? answer.body : JSON.stringify(answer.body));
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}
