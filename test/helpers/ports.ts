import { createServer } from "node:net";

/**
 * Ports for servers the tests start themselves (redis-server, a process under test) are handed out from a block of
 * this worker's own, below Linux's ephemeral range (32768–60999 by default), so that:
 * - one process never gets the same port twice (the kernel's `listen(0)` may hand a just-closed port out again, and
 *   a cluster once got two nodes on one port);
 * - two vitest workers never race for one port between choosing it and the server binding it (each has its block);
 * - no outgoing connection takes it meanwhile (those are given ephemeral ports).
 * A port something else on the machine listens on is skipped.
 */
const FIRST = 10_000;
const BLOCK = 400;
const BLOCKS = Math.floor((32_768 - FIRST) / BLOCK);
/** `VITEST_POOL_ID` is 1…maxWorkers in a worker; the main process (global setup, the bench) has block 0. */
const block = Number(process.env.VITEST_POOL_ID ?? 0) % BLOCKS;
/** Where in the block this process starts: a later file in the same worker slot starts elsewhere. */
const start = Math.floor(Math.random() * BLOCK);
let next = start;

/** A loopback port nothing listens on, never handed out before in this process. */
export async function freePort(): Promise<number> {
  while (next - start < BLOCK) {
    const port = FIRST + block * BLOCK + (next++ % BLOCK);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port left in ${String(FIRST + block * BLOCK)}+${String(BLOCK)}`);
}

async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
  } catch {
    return false;
  }
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return true;
}
