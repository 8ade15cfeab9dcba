import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.js";
import {
  command as commandAt,
  killAll,
  loopbackOnly,
  spawnRedis,
  until as untilThen,
  waitForPing,
} from "./redis.js";
import { tlsOnly, type TestCertificates } from "./tls.js";

/**
 * Three primaries and (by default) three replicas, real `redis-server --cluster-enabled yes` processes on loopback
 * ports; with `tls`, they speak TLS only (to clients, to each other and to their replicas).
 */
export interface RedisCluster {
  ports: number[];
  /** For REDIS_CLUSTER_NODES: two of the nodes as seeds. */
  seeds: string;
  /** The port of the primary that serves `key`'s slot now (as the nodes say). */
  primaryOf(key: string): Promise<number>;
  /** The port of the replica of the primary on `port`. */
  replicaOf(port: number): Promise<number>;
  /** Kill a node at once (SIGKILL: no goodbye to its clients, as when a node is lost). */
  kill(port: number): void;
  /** Whether every slot is served (`cluster_state:ok`) as a node that is up sees it. */
  healthy(): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * Start the nodes in a temporary directory, `redis-cli --cluster create` them with one replica each, and wait until
 * every node says `cluster_state:ok`. A primary is failed (its replica promoted) after `nodeTimeoutMs` without an
 * answer.
 */
export async function startRedisCluster(
  options: { nodeTimeoutMs?: number; replicas?: 0 | 1; tls?: TestCertificates } = {},
): Promise<RedisCluster> {
  const { nodeTimeoutMs = 1000, replicas = 1, tls } = options;
  const dir = await mkdtemp(join(tmpdir(), "otp-cluster-"));
  const children = new Map<number, ChildProcess>();
  const ca = tls && (await readFile(tls.caFile, "utf8"));
  /** One command on a fresh connection (over TLS for a TLS cluster); rejects when nothing answers. */
  const command = (port: number, name: string, ...args: string[]) =>
    commandAt(ca ? { port, ca } : port, name, ...args);
  try {
    const ports: number[] = [];
    for (let i = 0; i < 3 * (1 + replicas); i++) ports.push(await freePort());
    for (const port of ports) {
      // The bus port is given: the default (port + 10000) is past 65535 for many ephemeral ports.
      const busPort = await freePort();
      const child = spawnRedis([
        ...loopbackOnly(port),
        ...(tls ? [...tlsOnly(port, tls), "--tls-cluster", "yes", "--tls-replication", "yes"] : []),
        "--dir",
        dir,
        "--dbfilename",
        `dump-${port}.rdb`,
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        join(dir, `nodes-${port}.conf`),
        "--cluster-port",
        String(busPort),
        "--cluster-node-timeout",
        String(nodeTimeoutMs),
      ]);
      children.set(port, child);
    }
    for (const [port, child] of children) await waitForPing(ca ? { port, ca } : port, child);
    const create = spawn(
      "redis-cli",
      [
        ...(tls ? ["--tls", "--cacert", tls.caFile] : []),
        "--cluster",
        "create",
        ...ports.map((port) => `127.0.0.1:${port}`),
        "--cluster-replicas",
        String(replicas),
        "--cluster-yes",
      ],
      { stdio: "ignore" },
    );
    const [code] = (await once(create, "exit")) as [number | null];
    if (code !== 0) throw new Error(`redis-cli --cluster create exited with ${code}`);
    const killed = new Set<number>();
    const alive = () => ports.filter((port) => children.get(port)?.exitCode === null && !killed.has(port));
    const healthy = async () => {
      for (const port of alive()) {
        const info = String(await command(port, "CLUSTER", "INFO"));
        if (!info.includes("cluster_state:ok")) return false;
      }
      return true;
    };
    await until(healthy, Boolean);
    // Every replica in sync with its primary, so a failover has a replica to promote.
    for (const port of ports) {
      await until(
        () => command(port, "ROLE"),
        (role) => {
          const [kind, , , state] = role as [string, unknown, unknown, string];
          return kind === "master" || state === "connected";
        },
      );
    }
    const nodes = async () => {
      const [port] = alive();
      return String(await command(port ?? 0, "CLUSTER", "NODES"))
        .trim()
        .split("\n")
        .map((line) => {
          const [id = "", address = "", flags = "", primary = ""] = line.split(" ");
          return { id, port: Number(/:(\d+)@/.exec(address)?.[1]), flags, primary };
        });
    };
    return {
      ports,
      seeds: ports
        .slice(0, 2)
        .map((port) => `127.0.0.1:${port}`)
        .join(","),
      primaryOf: async (key) => {
        const [port] = alive();
        const slot = Number(await command(port ?? 0, "CLUSTER", "KEYSLOT", key));
        const slots = (await command(port ?? 0, "CLUSTER", "SLOTS")) as [number, number, [string, number]][];
        const range = slots.find(([from, to]) => slot >= from && slot <= to);
        if (!range) throw new Error(`no node serves slot ${slot}`);
        return range[2][1];
      },
      replicaOf: async (port) => {
        const all = await nodes();
        const primary = all.find((node) => node.port === port);
        const replica = all.find((node) => node.primary === primary?.id && !node.flags.includes("fail"));
        if (!replica) throw new Error(`no replica of ${port}`);
        return replica.port;
      },
      kill: (port) => {
        killed.add(port);
        children.get(port)?.kill("SIGKILL");
      },
      healthy,
      stop: () => killAll(children.values(), dir),
    };
  } catch (error) {
    await killAll(children.values(), dir);
    throw error;
  }
}

/** Poll `read` until `done` holds (errors count as not yet), for up to 20 s. */
export const until = <T>(read: () => Promise<T>, done: (value: T) => boolean) =>
  untilThen(read, done, "the Redis Cluster did not reach the state waited for", 20_000);
