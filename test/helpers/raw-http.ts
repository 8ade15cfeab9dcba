import { connect, type Socket } from "node:net";

/** A socket to the server at `origin` (`http://127.0.0.1:port`), once connected. */
export function openSocket(origin: string): Promise<Socket> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/** Everything the server writes on `socket` until it closes the connection. */
export function readUntilClose(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => undefined);
    socket.once("close", () => {
      resolve(Buffer.concat(chunks).toString("latin1"));
    });
  });
}

/**
 * Send `request` as written (a request line and headers no HTTP client would send) and read the answer, up to the
 * server closing the connection. Ask with `Connection: close` to get one answer.
 */
export async function rawRequest(origin: string, request: string): Promise<string> {
  const socket = await openSocket(origin);
  const answer = readUntilClose(socket);
  socket.write(request);
  return answer;
}

/** The status code of a raw HTTP answer. */
export function statusOf(answer: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
}
