/**
 * The subgraph in a process of its own (`node --expose-gc --import tsx`), for tests that read its memory: it
 * starts from its environment (as `npm start`, on 127.0.0.1 and an ephemeral port), sends `{ port }` to its parent,
 * and answers each `"memory"` message with its memory after a full collection.
 */
import type { AddressInfo } from "node:net";
import { startService } from "../../src/bootstrap.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc || !process.send) throw new Error("memory-child runs forked, with --expose-gc");
const send = process.send.bind(process);

const service = await startService({ ...process.env, LOG_LEVEL: "silent", PORT: "0", HOST: "127.0.0.1" });
await service.app.http.listen({ port: 0, host: "127.0.0.1" });
send({ port: (service.app.http.server.address() as AddressInfo).port });
process.on("message", (message) => {
  if (message === "memory") {
    gc();
    gc();
    const { rss, heapUsed, arrayBuffers, heapTotal, external } = process.memoryUsage();
    send({ rss, heap: heapUsed + arrayBuffers, heapTotal, external });
  } else if (message === "close") {
    void service.close().then(() => process.exit(0));
  }
});
