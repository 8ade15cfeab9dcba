import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./ports.js";
import { loopbackOnly } from "./redis.js";

/** The name the sentinels monitor. */
export const SENTINEL_NAME = "otp-primary";

/** A primary, its replica and three sentinels, all real `redis-server` processes on loopback ports. */
export interface SentinelSet {
  primaryPort: number;
  replicaPort: number;
  sentinelPorts: number[];
  /** For REDIS_SENTINELS. */
  sentinels: string;
  /** Kill the primary at once (SIGKILL: no goodbye to its clients, as when a node is lost). */
  killPrimary(): void;
  /** The port the sentinels name as primary now. */
  currentPrimaryPort(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Start the set in a temporary directory and wait until every sentinel knows the replica and the two other
 * sentinels, so a failover can start as soon as the primary is lost. Failure detection is short: the primary is
 * down for a sentinel after `downAfterMs` without an answer.
 */
export async function startSentinelSet(downAfterMs = 500): Promise<SentinelSet> {
  const dir = await mkdtemp(join(tmpdir(), "otp-sentinel-"));
  const children: ChildProcess[] = [];
  const server = (args: string[]) => {
    const child = spawn("redis-server", args, { stdio: "ignore" });
    children.push(child);
    return child;
  };
  const base = (port: number, name: string) => [
    ...loopbackOnly(port),
    "--dir",
    dir,
    "--dbfilename",
    `${name}.rdb`,
    "--loglevel",
    "warning",
  ];
  try {
    const primaryPort = await freePort();
    const replicaPort = await freePort();
    const primary = server(base(primaryPort, "primary"));
    await until(
      () => command(primaryPort, "PING"),
      (reply) => reply === "PONG",
    );
    server([...base(replicaPort, "replica"), "--replicaof", "127.0.0.1", String(primaryPort)]);
    await until(
      () => command(replicaPort, "INFO", "replication"),
      (info) => String(info).includes("master_link_status:up"),
    );

    const sentinelPorts = [await freePort(), await freePort(), await freePort()];
    for (const port of sentinelPorts) {
      const file = join(dir, `sentinel-${port}.conf`);
      await writeFile(
        file,
        [
          `port ${port}`,
          "bind 127.0.0.1",
          `dir ${dir}`,
          `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_NAME} ${downAfterMs}`,
          `sentinel failover-timeout ${SENTINEL_NAME} 3000`,
          `sentinel parallel-syncs ${SENTINEL_NAME} 1`,
          "",
        ].join("\n"),
      );
      server([file, "--sentinel", "--loglevel", "warning"]);
    }
    for (const port of sentinelPorts) {
      await until(
        async () => [
          await command(port, "SENTINEL", "REPLICAS", SENTINEL_NAME),
          await command(port, "SENTINEL", "SENTINELS", SENTINEL_NAME),
        ],
        (reply) => {
          const [replicas, sentinels] = reply as [unknown[], unknown[]];
          return replicas.length === 1 && sentinels.length === 2;
        },
      );
    }

    return {
      primaryPort,
      replicaPort,
      sentinelPorts,
      sentinels: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(","),
      killPrimary: () => {
        primary.kill("SIGKILL");
      },
      currentPrimaryPort: async () => {
        const [port] = sentinelPorts;
        const reply = await command(port ?? 0, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SENTINEL_NAME);
        return Number((reply as string[])[1]);
      },
      stop: () => stopAll(children, dir),
    };
  } catch (error) {
    await stopAll(children, dir);
    throw error;
  }
}

async function stopAll(children: ChildProcess[], dir: string): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    }),
  );
  await rm(dir, { recursive: true, force: true });
}

/** One command on a fresh connection; rejects when nothing answers. */
export async function command(port: number, name: string, ...args: string[]): Promise<unknown> {
  const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => null });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return await client.call(name, ...args);
  } finally {
    client.disconnect();
  }
}

/** Poll `read` until `done` holds (errors count as not yet), for up to 15 s. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const value = await read();
      if (done(value)) return value;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error("the Redis Sentinel set did not come up in 15 s");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
