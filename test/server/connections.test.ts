import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { openSocket, rawRequest, readUntilClose, statusOf } from "../helpers/raw-http.js";

/** A POST to `/graphql` that announces a 60 KB body and sends one byte of it. */
function stalledPost(port: string): string {
  return `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{`;
}

const ask = (path: string, port: string, method = "GET", body = "") =>
  `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
  `apollo-require-preflight: true\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;

/** Wait until the server holds `count` connections (counted by the server, not timed). */
async function untilConnections(subgraph: TestApp, count: number): Promise<void> {
  const server = subgraph.app.http.server;
  for (;;) {
    const open = await new Promise<number>((resolve, reject) => {
      server.getConnections((error, value) => {
        if (error) reject(error);
        else resolve(value);
      });
    });
    if (open === count) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("request and keep-alive timeouts", () => {
  let subgraph: TestApp;
  beforeAll(async () => {
    subgraph = await startTestApp({
      OTP_HTTP_REQUEST_TIMEOUT_MS: "300",
      OTP_HTTP_KEEP_ALIVE_TIMEOUT_MS: "200",
    });
  });
  afterAll(() => subgraph.close());

  it("cuts a body that stops arriving, with 408", async () => {
    const socket = await openSocket(subgraph.origin);
    const answer = readUntilClose(socket);
    socket.write(stalledPost(new URL(subgraph.origin).port));
    // Resolves only once the server closed the connection.
    expect(statusOf(await answer)).toBe(408);
  });

  it("closes a connection that never sends a request", async () => {
    const socket = await openSocket(subgraph.origin);
    expect(await readUntilClose(socket)).toBe("");
  });

  it("closes a kept-alive connection once idle", async () => {
    const socket = await openSocket(subgraph.origin);
    const answer = readUntilClose(socket);
    socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const text = await answer;
    expect(statusOf(text)).toBe(200);
    expect(text.toLowerCase()).toContain("keep-alive");
  });
});

describe("the connection cap", () => {
  const CAP = 3;
  let subgraph: TestApp;
  let port: string;
  const held: Socket[] = [];
  beforeAll(async () => {
    subgraph = await startTestApp({ OTP_HTTP_MAX_CONNECTIONS: String(CAP) });
    port = new URL(subgraph.origin).port;
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await subgraph.close();
  });

  it("refuses the connection past the cap, answers probes on it, and serves again once one closes", async () => {
    for (let index = 0; index < CAP; index++) {
      const socket = await openSocket(subgraph.origin);
      socket.on("error", () => undefined);
      socket.write(stalledPost(port));
      held.push(socket);
    }
    await untilConnections(subgraph, CAP);

    const refused = await rawRequest(
      subgraph.origin,
      ask("/graphql", port, "POST", '{"query":"{ __typename }"}'),
    );
    expect(statusOf(refused)).toBe(503);
    expect(refused).toContain('"SERVICE_UNAVAILABLE"');
    for (const probe of ["/healthz", "/readyz", "/metrics"]) {
      expect(statusOf(await rawRequest(subgraph.origin, ask(probe, port)))).toBe(200);
    }

    held.pop()?.destroy();
    await untilConnections(subgraph, CAP - 1);
    const served = await rawRequest(
      subgraph.origin,
      ask("/graphql", port, "POST", '{"query":"{ __typename }"}'),
    );
    expect(statusOf(served)).toBe(200);
    expect(served).toContain('{"data":{"__typename":"Query"}}');
  });
});
