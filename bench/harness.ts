/** The pieces `run.ts` and `profile.ts` share: processes on loopback ports, and the load. */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

export const CONNECTIONS = 16;
const root = fileURLToPath(new URL("../..", import.meta.url));
const QUERY =
  "mutation ($input: RequestOtpInput!) { requestOtp(input: $input) { __typename ... on OtpSent { challenge { id destinationHint devOtp providerMessage } } ... on RateLimited { message } } }";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === "object" && address) resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

/** Start `script` with node on a free loopback port (given as PORT); resolves once it accepts connections. */
export async function start(
  script: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port), HOST: "127.0.0.1", NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  child.stdout.resume();
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
    if (up) return { child, port };
    if (child.exitCode !== null) throw new Error(`${script} exited with ${String(child.exitCode)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${script} did not start`);
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

export function procStatusMb(pid: number, field: "VmHWM" | "VmRSS"): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** One distinct user per request: destination, device and (through a trusted proxy hop) client IP. */
export async function load(
  port: number,
  options:
    | { duration: number; amount?: undefined; offset: number }
    | { amount: number; duration?: undefined; offset: number },
): Promise<{ result: autocannon.Result; notSent: number; saturated: number }> {
  let n = options.offset;
  let notSent = 0;
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
          const phone = `+9198${String(n).padStart(8, "0")}`;
          return {
            ...request,
            headers: {
              "content-type": "application/json",
              "x-forwarded-for": `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
            },
            body: JSON.stringify({
              query: QUERY,
              variables: { input: { phone: { phone, country: "IN", deviceId: `bench-device-${n}` } } },
            }),
          };
        },
        onResponse: (_status, body) => {
          if (!body.includes('"OtpSent"')) notSent += 1;
          if (body.includes("receiving too many OTP requests")) saturated += 1;
        },
      },
    ],
  });
  return { result, notSent, saturated };
}
