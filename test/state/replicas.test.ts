import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { execute } from "../helpers/client.js";
import { uniquePrefix } from "../helpers/redis.js";
import { json, startUpstream, type Upstream } from "../helpers/upstream.js";
import { phoneInput, STATE_SECRET } from "./fixtures.js";

const redisUrl = inject("redisUrl");
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SENT = json(200, { success: true, message: "request processed successfully", data: { otp: 333444 } });

/** One subgraph process, started as `src/main.ts` with `env`. */
interface Replica {
  url: string;
  stop(): Promise<void>;
}

async function startReplica(env: Record<string, string>): Promise<Replica> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      OTP_ALLOW_NO_ROUTER_SECRET: "true",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`replica did not start:\n${output}`));
    }, 20_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = /listening on (http:\/\/\S+\/graphql)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", read);
    child.stderr?.on("data", read);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`replica exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
}

describe.skipIf(redisUrl === null)("two subgraph processes sharing one Redis", () => {
  let upstream: Upstream;
  /** While set, the provider holds its answers until it settles. */
  let held: Promise<void> | null = null;
  const prefix = uniquePrefix("replicas");
  let replicas: Replica[] = [];
  beforeAll(async () => {
    upstream = await startUpstream(async (request, res, req) => {
      // A slow provider widens the window in which the two processes race.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await held;
      await SENT(request, res, req);
    });
    const env = {
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      PHONE_BASE_URL: upstream.url,
      OTP_STORE: "redis",
      REDIS_URL: redisUrl ?? "",
      REDIS_KEY_PREFIX: prefix,
      OTP_STATE_SECRET: STATE_SECRET,
      OTP_COOLDOWN_SECONDS: "0",
      OTP_MAX_PER_DESTINATION_PER_HOUR: "5",
      OTP_MAX_PER_DEVICE_PER_HOUR: "0",
      OTP_MAX_PER_IP_PER_HOUR: "0",
    };
    replicas = await Promise.all([startReplica(env), startReplica(env)]);
  });
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await upstream.close();
  });

  /** Request number `index` goes to replica `index % 2`. */
  const requestAt = (index: number, input: ReturnType<typeof phoneInput>, idempotencyKey?: string) =>
    execute(replicas[index % 2]?.url ?? "", RequestOtpDocument, { input, idempotencyKey });

  it("never pass a destination's cap together under concurrent load", async () => {
    upstream.requests.length = 0;
    const responses = await Promise.all(
      Array.from({ length: 60 }, (_, index) => requestAt(index, phoneInput(1, `device-${index}`))),
    );
    const results = responses.map((response) => response.body.data?.requestOtp);
    expect(results.filter((result) => result?.__typename === "OtpSent")).toHaveLength(5);
    const limited = results.filter((result) => result?.__typename === "RateLimited");
    expect(limited).toHaveLength(55);
    expect(limited[0]).toMatchObject({ limitedBy: "LOCAL_POLICY", providerCode: null, retryable: true });
    expect(upstream.requests).toHaveLength(5);
  });

  it("never pass a number range's cap together: a bot walking one range from 100 devices gets 20 sent", async () => {
    upstream.requests.length = 0;
    // The range +91 98050 00xxx: 100 consecutive numbers, each from its own device, half on each replica.
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, index) =>
        requestAt(index, phoneInput(5_000_000 + index, `bot-${index}`)),
      ),
    );
    const results = responses.map((response) => response.body.data?.requestOtp);
    expect(results.filter((result) => result?.__typename === "OtpSent")).toHaveLength(20);
    expect(results.filter((result) => result?.__typename === "RateLimited")).toHaveLength(80);
    expect(upstream.requests).toHaveLength(20);
  });

  it("send once for one idempotency key used on both at the same moment", async () => {
    upstream.requests.length = 0;
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        requestAt(index, phoneInput(2, "one-device"), "replicated-key"),
      ),
    );
    const ids = new Set(
      responses.map((response) => {
        const result = response.body.data?.requestOtp;
        return result?.__typename === "OtpSent" ? result.challenge.id : result?.__typename;
      }),
    );
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^[\w-]{24}$/);
    expect(upstream.requests).toHaveLength(1);
  });

  it("a duplicate on the other replica waits for a notice: no Redis reads while the first is held", async () => {
    upstream.requests.length = 0;
    const observer = new Redis(redisUrl ?? "");
    const probe = new Redis(redisUrl ?? "");
    const monitor = await observer.monitor();
    const idempotencyCommands: string[][] = [];
    // MONITOR shows the commands a script runs too: each claim reads its record's `until` once, nothing else does.
    const claims = () =>
      idempotencyCommands.filter(
        ([command, , field]) => command?.toLowerCase() === "hget" && field === "until",
      ).length;
    const marker = `${prefix}marker`;
    let markerSeen = false;
    monitor.on("monitor", (_time: string, args: string[]) => {
      if (args.includes(marker)) markerSeen = true;
      else if (args.some((arg) => arg.startsWith(`${prefix}idem:`))) idempotencyCommands.push(args);
    });
    let release: () => void = () => undefined;
    held = new Promise((resolve) => {
      release = resolve;
    });
    try {
      const first = requestAt(0, phoneInput(6, "held-device"), "held-key");
      await until(() => upstream.requests.length === 1);
      const duplicate = requestAt(1, phoneInput(6, "held-device"), "held-key");
      // The first's claim, then the duplicate's, which finds it pending.
      await until(() => claims() >= 2);
      // Long enough for a 20 Hz poll to read the record several times.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(claims()).toBe(2);
      release();
      const [sent, replayed] = (await Promise.all([first, duplicate])).map(
        (response) => response.body.data?.requestOtp,
      );
      expect(sent?.__typename).toBe("OtpSent");
      // Live mode: no devOtp, so the replay is the very same answer.
      expect(replayed).toEqual(sent);
      expect(upstream.requests).toHaveLength(1);
      // MONITOR reports commands in the order Redis ran them: once the marker shows, the rest has too.
      await probe.get(marker);
      await until(() => markerSeen);
      // Then the duplicate's one read after the notice.
      expect(claims()).toBe(3);
    } finally {
      held = null;
      release();
      monitor.disconnect();
      observer.disconnect();
      probe.disconnect();
    }
  });

  it("one guessable idempotency key sent to two destinations, one on each replica: both send", async () => {
    upstream.requests.length = 0;
    const [attacker, victim] = await Promise.all([
      requestAt(0, phoneInput(3, "attacker-device"), "order-1001"),
      requestAt(1, phoneInput(4, "victim-device"), "order-1001"),
    ]);
    const sent = [attacker, victim].map((response) => {
      const result = response.body.data?.requestOtp;
      return result?.__typename === "OtpSent"
        ? { id: result.challenge.id, hint: result.challenge.destinationHint }
        : result?.__typename;
    });
    expect(sent).toEqual([
      { id: expect.any(String) as unknown, hint: expect.stringMatching(/0003$/) as unknown },
      { id: expect.any(String) as unknown, hint: expect.stringMatching(/0004$/) as unknown },
    ]);
    expect(new Set(sent.map((each) => (typeof each === "object" ? each.id : each))).size).toBe(2);
    expect(upstream.requests).toHaveLength(2);
  });
});

/** Resolves once `condition` holds, looking every few milliseconds. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
