/**
 * `npm run load` — autocannon against the subgraph in sandbox mode, for a set time and connection count.
 *
 *   npm run load                                   10 s, 10 connections
 *   npm run load -- --duration 30 --connections 50
 *
 * The subgraph runs as its own process (`node --import tsx src/main.ts`, sandbox providers in-process), so the
 * memory figures, read from its own `/metrics`, are the server's alone. Every request is a PHONE `requestOtp` with
 * a phone number and device id of its own, so the per-destination and per-device limits do not answer everything;
 * the per-IP limit is off, since all load comes from one address. Not a test: it prints what it measured.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";

const { values } = parseArgs({
  options: { duration: { type: "string", default: "10" }, connections: { type: "string", default: "10" } },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
if (!(duration > 0) || !(connections > 0))
  throw new Error("--duration and --connections must be positive numbers");

const QUERY =
  "mutation ($input: RequestOtpInput!) { requestOtp(input: $input) { __typename ... on OtpSent { challenge { id destinationHint } } ... on OtpError { providerCode retryable } } }";
const root = fileURLToPath(new URL("..", import.meta.url));

const server = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
  cwd: root,
  env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "warn", OTP_MAX_PER_IP_PER_HOUR: "0" },
  stdio: ["ignore", "pipe", "inherit"],
});
const origin = await new Promise<string>((resolve, reject) => {
  let output = "";
  server.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    const match = /listening on (http:\/\/\S+)\/graphql/.exec(output);
    if (match?.[1]) resolve(match[1]);
  });
  server.on("exit", (code) => {
    reject(new Error(`the server exited (${String(code)}) before listening:\n${output}`));
  });
});

/** The server's memory, from its own `/metrics`. */
async function serverMemory(): Promise<{ rss: number; heapUsed: number }> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const sum = (name: string) =>
    text
      .split("\n")
      .filter((line) => line.startsWith(name))
      .reduce((total, line) => total + Number(line.split(" ").at(-1)), 0);
  return { rss: sum("process_resident_memory_bytes"), heapUsed: sum("nodejs_heap_size_used_bytes") };
}

let sequence = 0;
/** A distinct, valid Indian mobile per request, avoiding the sandbox's magic endings (00400, 00429). */
function nextPhone(): string {
  for (;;) {
    const number = String(9_812_000_000 + (sequence++ % 180_000_000));
    if (!number.endsWith("00400") && !number.endsWith("00429")) return `+91${number}`;
  }
}

const members = new Map<string, number>();
const before = await serverMemory();
const result = await autocannon({
  url: `${origin}/graphql`,
  duration,
  connections,
  requests: [
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      setupRequest: (request) => {
        const phone = nextPhone();
        const variables = { input: { phone: { phone, country: "IN", deviceId: `load-${phone}` } } };
        return { ...request, body: JSON.stringify({ query: QUERY, variables }) };
      },
      onResponse: (_status, body) => {
        let member = "unparseable";
        try {
          const parsed = JSON.parse(body) as {
            data?: { requestOtp?: { __typename?: string } };
            errors?: unknown;
          };
          member = parsed.data?.requestOtp?.__typename ?? (parsed.errors ? "GraphQL error" : "no data");
        } catch {
          // counted as unparseable
        }
        members.set(member, (members.get(member) ?? 0) + 1);
      },
    },
  ],
});
const after = await serverMemory();

server.kill("SIGTERM");
const exitCode = await new Promise<number | null>((resolve) => server.on("exit", resolve));

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const lines = [
  `Measured: ${String(duration)} s of PHONE requestOtp (sandbox upstream on loopback) over ${String(connections)} connections,`,
  `  one subgraph process, every request with its own phone number and device id; per-IP limit off.`,
  `requests:        ${String(result.requests.total)} (${result.requests.average.toFixed(0)}/s average)`,
  `latency:         p50 ${String(result.latency.p50)} ms, p99 ${String(result.latency.p99)} ms, max ${String(result.latency.max)} ms`,
  `non-2xx:         ${String(result.non2xx)}`,
  `errors:          ${String(result.errors)} (timeouts ${String(result.timeouts)})`,
  `result members:  ${[...members].map(([member, count]) => `${member} ${String(count)}`).join(", ")}`,
  `server memory:   RSS ${mb(before.rss)} → ${mb(after.rss)}, heap used ${mb(before.heapUsed)} → ${mb(after.heapUsed)} (before → after, from its /metrics)`,
  `server exit:     ${String(exitCode)} after SIGTERM`,
];
process.stdout.write(`${lines.join("\n")}\n`);
