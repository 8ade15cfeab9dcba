import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";

const MB = 1024 * 1024;
const DOCUMENTS = 4000;
const CONCURRENCY = 16;

interface Memory {
  heap: number;
  rss: number;
}

/**
 * The subgraph in a process of its own, so that its memory is not this one's (which sends 240 MB of bodies); read
 * after a full collection.
 */
async function startChild(env: Record<string, string> = {}) {
  const child = fork(new URL("../helpers/memory-child.ts", import.meta.url), {
    execArgv: ["--expose-gc", "--import", "tsx"],
    env: { ...process.env, ...env },
  });
  const [{ port }] = (await once(child, "message")) as [{ port: number }];
  return {
    child,
    url: `http://127.0.0.1:${port}/graphql`,
    memory: async (): Promise<Memory> => {
      child.send("memory");
      return ((await once(child, "message")) as [Memory])[0];
    },
  };
}

/** A distinct document of about 60 KB: a comment, then `{ __typename }`, as the probe sent. */
function padded(index: number): string {
  return `# ${String(index).padStart(8, "0")} ${"x".repeat(60_000)}\n{ __typename }`;
}

/** Send every padded document (`CONCURRENCY` at a time); the statuses seen, counted. */
async function sendAll(url: string): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < DOCUMENTS) {
        const body = JSON.stringify({ query: padded(next++) });
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    }),
  );
  return statuses;
}

describe("distinct documents padded with comments", () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (!child) return;
    child.send("close");
    await once(child, "exit");
    child = undefined;
  });

  it("are refused before parsing with the default size bound", { timeout: 180_000 }, async () => {
    const subgraph = await startChild();
    child = subgraph.child;
    const before = await subgraph.memory();
    expect(await sendAll(subgraph.url)).toEqual(new Map([[413, DOCUMENTS]]));
    const after = await subgraph.memory();
    expect(after.heap - before.heap).toBeLessThan(100 * MB);
    expect(after.rss - before.rss).toBeLessThan(100 * MB);
  });

  it("grow the heap by less than 100 MB when the bound lets them in", { timeout: 180_000 }, async () => {
    const subgraph = await startChild({ OTP_MAX_DOCUMENT_BYTES: "65536" });
    child = subgraph.child;
    const before = await subgraph.memory();
    expect(await sendAll(subgraph.url)).toEqual(new Map([[200, DOCUMENTS]]));
    const after = await subgraph.memory();
    // The parsed-document cache counts the source each entry keeps (16 MB in all), and the known-good texts 1 MB.
    expect(after.heap - before.heap).toBeLessThan(100 * MB);
    expect(after.rss - before.rss).toBeLessThan(100 * MB);
  });
});
