import type { ChildProcess } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.js";
import { command, killAll, loopbackOnly, spawnRedis, until } from "./redis.js";

export { command } from "./redis.js";

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
    const child = spawnRedis(args);
    children.push(child);
    return child;
  };
  const base = (port: number, name: string) => [
    ...loopbackOnly(port),
    "--dir",
    dir,
    "--dbfilename",
    `${name}.rdb`,
  ];
  try {
    const primaryPort = await freePort();
    const replicaPort = await freePort();
    const primary = server(base(primaryPort, "primary"));
    await settled(
      () => command(primaryPort, "PING"),
      (reply) => reply === "PONG",
    );
    server([...base(replicaPort, "replica"), "--replicaof", "127.0.0.1", String(primaryPort)]);
    await settled(
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
      server([file, "--sentinel"]);
    }
    for (const port of sentinelPorts) {
      await settled(
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
      stop: () => killAll(children, dir),
    };
  } catch (error) {
    await killAll(children, dir);
    throw error;
  }
}

/** Poll until the set is in the state waited for (for up to 15 s). */
const settled = <T>(read: () => Promise<T>, done: (value: T) => boolean) =>
  until(read, done, "the Redis Sentinel set did not come up");
