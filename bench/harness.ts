/** The pieces `run.ts` and `profile.ts` share: processes on loopback ports, and the load. */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { NODE_FLAGS } from "../src/node-version.js";
import { freePort } from "../test/helpers/ports.js";

/** Connections of every load (`--connections N` to change it). */
export const CONNECTIONS = Number(argValue("--connections") ?? 16);
const root = fileURLToPath(new URL("../..", import.meta.url));
export const QUERY =
  "mutation ($input: RequestOtpInput!) { requestOtp(input: $input) { __typename ... on OtpSent { challenge { id destinationHint devOtp providerMessage } } ... on RateLimited { message } } }";

/** The value after `name` on the command line (`--rounds 3`), if given. */
export function argValue(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
}

/** The machine's load average (1, 5 and 15 minutes), as printed beside every measurement. */
export function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
}

/**
 * What the load asks for. `send`: a distinct user per request, each sent. The refusal path, each refused before
 * any upstream call: `capped`, one destination asked by distinct devices and IPs (its cooldown and hourly cap
 * refuse all but the first); `policy`, distinct premium-rate numbers (the phone policy); `invalid`, distinct
 * malformed numbers (validation).
 */
export type Scenario = "send" | "capped" | "policy" | "invalid";

/** The answer each scenario expects; any other is counted as unexpected. */
export const EXPECTED: Record<Scenario, string> = {
  send: "OtpSent",
  capped: "RateLimited",
  policy: "InvalidInput",
  invalid: "InvalidInput",
};

function phoneFor(scenario: Scenario, n: number): string {
  // Distinct users are spread over number ranges (the digits of n reversed), as real traffic is; a walk
  // through consecutive numbers is what the range cap (default 20 per range per hour) refuses.
  const spread = String(n).padStart(8, "0").split("").reverse().join("");
  switch (scenario) {
    case "send":
      return `+9198${spread}`;
    case "capped":
      return "+919812345678";
    case "policy":
      // US 900 numbers: premium rate.
      return `+1900${2 + (n % 8)}${spread.slice(0, 6)}`;
    case "invalid":
      return `98-${spread}-x`;
  }
}

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

/** The service's entry, which starts with the flags it ships with (NODE_FLAGS: the image's CMD, `npm start`). */
const SERVICE = `${root}dist/src/main.js`;

/** Start `script` with node on a free loopback port (given as PORT); resolves once it accepts connections. */
export async function start(
  script: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const flags = script === SERVICE ? NODE_FLAGS : [];
  const child = spawn(process.execPath, [...flags, ...nodeArgs, script], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port), HOST: "127.0.0.1", NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  child.stdout.resume();
  await waitForPort(port, child, script);
  return { child, port };
}

/** Resolves once `port` accepts connections; rejects if `child` exits first or it takes 10 s. */
export async function waitForPort(port: number, child: ChildProcess, name: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.end();
        resolve(true);
      });
      socket.on("error", () => {
        resolve(false);
      });
    });
    if (up) return;
    if (child.exitCode !== null) throw new Error(`${name} exited with ${String(child.exitCode)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${name} did not start`);
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** Clock ticks a second, the unit of /proc/<pid>/stat's CPU times. */
const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

/** The CPU a process has used so far, every thread of it, user and system, in microseconds (/proc/<pid>/stat). */
export function processCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // After the command name, which may hold spaces, in parentheses: utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}

export function procStatusMb(pid: number, field: "VmHWM" | "VmRSS"): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** One distinct device and client IP per request; the destination as `scenario` says (a distinct one to send). */
export async function load(
  port: number,
  options: (
    | { duration: number; amount?: undefined; offset: number }
    | { amount: number; duration?: undefined; offset: number }
  ) & { scenario?: Scenario },
): Promise<{ result: autocannon.Result; notSent: number; unexpected: number; saturated: number }> {
  const scenario = options.scenario ?? "send";
  const expected = `"${EXPECTED[scenario]}"`;
  let n = options.offset;
  let notSent = 0;
  let unexpected = 0;
  let saturated = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/graphql`,
    connections: CONNECTIONS,
    ...(options.amount === undefined ? { duration: options.duration } : { amount: options.amount }),
    requests: [
      {
        method: "POST",
        setupRequest: (request) => {
          n += 1;
          return {
            ...request,
            headers: {
              "content-type": "application/json",
              "x-forwarded-for": `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
            },
            body: JSON.stringify({
              query: QUERY,
              variables: {
                input: {
                  phone: { phone: phoneFor(scenario, n), country: "IN", deviceId: `bench-device-${n}` },
                },
              },
            }),
          };
        },
        onResponse: (_status, body) => {
          if (!body.includes('"OtpSent"')) notSent += 1;
          if (!body.includes(expected)) unexpected += 1;
          if (body.includes("receiving too many OTP requests")) saturated += 1;
        },
      },
    ],
  });
  return { result, notSent, unexpected, saturated };
}
