import type { TestProject } from "vitest/node";
import { hasRedisServer, startRedisServer } from "./helpers/redis.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The URL of the run's `redis-server`, or null when there is none (never under CI=true). */
    redisUrl: string | null;
  }
}

/**
 * One real `redis-server` for the whole run, on a free loopback port; tests isolate themselves by key prefix.
 * Under CI=true a missing `redis-server` fails the run; elsewhere the Redis tests are reported as skipped.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!hasRedisServer()) {
    if (process.env.CI === "true") {
      throw new Error("redis-server is not installed: the Redis store tests cannot run (CI=true).");
    }
    process.stderr.write(
      "\nredis-server not found: the Redis store tests are SKIPPED (install redis-server).\n\n",
    );
    project.provide("redisUrl", null);
    return () => Promise.resolve();
  }
  const redis = await startRedisServer();
  project.provide("redisUrl", redis.url);
  return () => redis.stop();
}
