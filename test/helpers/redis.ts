/**
 * Real `redis-server` processes on loopback ports, for the tests and the benches: the one place that spawns them,
 * waits for them and stops them. `sentinel.ts`, `cluster.ts` and `tls.ts` build their sets from these parts.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { rm } from "node:fs/promises";
import { Redis } from "ioredis";
import { freePort } from "./ports.js";

/** A real `redis-server` on a loopback port, with no persistence. */
export interface RedisServer {
  url: string;
  port: number;
  /** Stop the server (SIGTERM) and wait for it to exit. */
  stop(): Promise<void>;
  /** Start it again on the same port, empty. */
  start(): Promise<void>;
}

/** Where a test reaches one node: its loopback port, and the CA's PEM when it speaks TLS only. */
export type RedisAddress = number | { port: number; ca: string };

/** Whether `redis-server` can be run here. */
export function hasRedisServer(): boolean {
  return spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
}

/** `redis-server` arguments: listen on loopback `port` only, and persist nothing. */
export const loopbackOnly = (port: number) => [
  "--port",
  String(port),
  "--bind",
  "127.0.0.1",
  "--save",
  "",
  "--appendonly",
  "no",
];

/** Start one `redis-server` (or, with `--sentinel`, a sentinel) with `args`, quiet, its output ignored. */
export function spawnRedis(args: readonly string[]): ChildProcess {
  return spawn("redis-server", [...args, "--loglevel", "warning"], { stdio: "ignore" });
}

/**
 * Start `redis-server` on a free loopback port, with `args` added to its command line (`--maxmemory 2mb`, say);
 * resolves once it answers PING.
 */
export async function startRedisServer(args: readonly string[] = []): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const started = spawnRedis([...loopbackOnly(port), ...args]);
    child = started;
    await waitForPing(port, started);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop: async () => {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = once(running, "exit");
      running.kill("SIGTERM");
      await exited;
    },
  };
}

/** One command on a fresh connection (over TLS when `at` has a CA); rejects when nothing answers. */
export async function command(at: RedisAddress, name: string, ...args: string[]): Promise<unknown> {
  const client = new Redis({
    host: "127.0.0.1",
    lazyConnect: true,
    retryStrategy: () => null,
    ...(typeof at === "number" ? { port: at } : { port: at.port, tls: { ca: at.ca } }),
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return await client.call(name, ...args);
  } finally {
    client.disconnect();
  }
}

/** Resolves once the node at `at` answers PING; rejects if `child` exits first or it takes 10 s. */
export async function waitForPing(at: RedisAddress, child: ChildProcess): Promise<void> {
  await until(
    () => {
      if (child.exitCode !== null) throw new Exited(child.exitCode);
      return command(at, "PING");
    },
    (reply) => reply === "PONG",
    "redis-server did not answer PING",
    10_000,
  );
}

class Exited extends Error {
  constructor(code: number) {
    super(`redis-server exited with ${code}`);
  }
}

/**
 * Poll `read` every 50 ms until `done` holds; errors count as not yet, except a process that exited. Rejects with
 * `what` (or the last error) after `timeoutMs`.
 */
export async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await read();
      if (done(value)) return value;
    } catch (error) {
      if (error instanceof Exited || Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`${what} in ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Kill every process at once (SIGKILL), wait for each to exit, then remove their directory. */
export async function killAll(children: Iterable<ChildProcess>, dir?: string): Promise<void> {
  await Promise.all(
    [...children].map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    }),
  );
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}

/** A key prefix no other test uses, so tests can share one Redis. */
export function uniquePrefix(name: string): string {
  return `test:${name}:${Math.random().toString(36).slice(2, 10)}:`;
}
