/**
 * The one minimal upstream every target calls: the PHONE provider's documented success response.
 * Run as its own process so it competes equally with every target.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const body = JSON.stringify({
  success: true,
  message: "request processed successfully",
  data: { otp: 912283 },
  timestamp: "2026-02-03T14:46:16.374Z",
});

const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`listening ${String((server.address() as AddressInfo).port)}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
