/**
 * `npm run build && node dist/bench/stages.js [iterations]` — the CPU microseconds of each stage of one request,
 * each measured alone in this process (user + system CPU time over many iterations, distinct users as in the
 * bench; the median of 5 runs of each), with the real parts: this subgraph's validation, phone policy, limits
 * with their HMACs, memory store, upstream client (against `bench/upstream.ts` in its own process), logger,
 * metrics, and Apollo Server's pipeline (`executeOperation`: no HTTP) with the plain subgraph's schema and with
 * ours and our plugins. Also graphql-js's `execute` against graphql-jit's compiled query on our schema: what an
 * executor seam could save. `docs/benchmark.md` says where these numbers went.
 */
import { pino } from "pino";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginInlineTrace } from "@apollo/server/plugin/inlineTrace";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from "@apollo/server/plugin/disabled";
import { execute, parse, type DocumentNode } from "graphql";
import { Agent } from "undici";
import { compileQuery, isCompiledQuery } from "graphql-jit";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/log.js";
import { Metrics } from "../src/metrics.js";
import { createContext, type GraphQLContext } from "../src/graphql/context.js";
import { errorLog } from "../src/graphql/error-log.plugin.js";
import { errorFormatter } from "../src/graphql/format-error.js";
import { buildOtpSchema } from "../src/graphql/schema.js";
import { singleMutationRule } from "../src/graphql/single-mutation.rule.js";
import { validationFailureAsOk } from "../src/graphql/validation-status.plugin.js";
import { LocalLimits } from "../src/otp/limits.js";
import type { OtpOutcome } from "../src/otp/model.js";
import { DEFAULT_PHONE_POLICY, judgePhone } from "../src/otp/phone-policy.js";
import { MemoryStore } from "../src/otp/store/memory.js";
import { StateKeys } from "../src/otp/store/state-keys.js";
import { UpstreamClient } from "../src/providers/http-client.js";
import { phone } from "../src/providers/phone/index.js";
import { parsePhoneInput } from "../src/providers/phone/input.js";
import { upstreamClients } from "../src/compose.js";
import { createAdapters } from "../src/providers/registry.js";
import { QUERY, start, stop } from "./harness.js";
import { askWithUndici, plainSubgraphSchema } from "./plain-subgraph.js";

const N = Number(process.argv[2] ?? 5000);
const RUNS = 5;

/** The CPU microseconds per call of `step`, the median of RUNS runs of N calls (awaited one by one). */
async function cpuPerCall(step: (i: number) => unknown): Promise<number> {
  const runs: number[] = [];
  let i = 0;
  // A warm-up (JIT compilation, lazily loaded metadata), not counted.
  for (let k = 0; k < N / 5; k++) {
    const result = step(i++);
    if (result instanceof Promise) await result;
  }
  for (let run = 0; run < RUNS; run++) {
    const before = process.cpuUsage();
    for (let k = 0; k < N; k++) {
      const result = step(i++);
      if (result instanceof Promise) await result;
    }
    const { user, system } = process.cpuUsage(before);
    runs.push((user + system) / N);
  }
  runs.sort((a, b) => a - b);
  return runs[Math.floor(RUNS / 2)] ?? Number.NaN;
}

/** Like {@link cpuPerCall} for several steps, their runs taken in turns; prints and keeps each median. */
async function inTurns(steps: [label: string, step: () => unknown][]): Promise<void> {
  const runs = steps.map(() => [] as number[]);
  for (const [, step] of steps) for (let k = 0; k < N / 5; k++) await step();
  for (let run = 0; run < RUNS; run++) {
    for (const [index, [, step]] of steps.entries()) {
      const before = process.cpuUsage();
      for (let k = 0; k < N; k++) await step();
      const { user, system } = process.cpuUsage(before);
      runs[index]?.push((user + system) / N);
    }
  }
  for (const [index, [label]] of steps.entries()) {
    const sorted = (runs[index] ?? []).sort((a, b) => a - b);
    const micros = sorted[Math.floor(RUNS / 2)] ?? Number.NaN;
    results.push([label, micros]);
    process.stdout.write(`${micros.toFixed(1).padStart(8)} µs  ${label}\n`);
  }
}

const phoneOf = (i: number) => `+9198${String(i).padStart(8, "0").split("").reverse().join("")}`;
const results: [string, number][] = [];
const measure = async (label: string, step: (i: number) => unknown) => {
  const micros = await cpuPerCall(step);
  results.push([label, micros]);
  process.stdout.write(`${micros.toFixed(1).padStart(8)} µs  ${label}\n`);
};

const upstream = await start(new URL("./upstream.js", import.meta.url).pathname, {});
const upstreamBase = `http://127.0.0.1:${upstream.port}`;
process.env.PHONE_BASE_URL = upstreamBase;
const config = loadConfig({
  OTP_MODE: "live",
  PHONE_BASE_URL: upstreamBase,
  OTP_ALLOW_NO_ROUTER_SECRET: "true",
  NODE_ENV: "production",
});

// Validation, and the policy on the facts validation worked out (as in a request).
await measure("validation (the phone input: lengths, E.164, country, number type)", (i) =>
  parsePhoneInput(phone.binding, { phone: phoneOf(i), country: "IN", deviceId: `device-${i}` }),
);
const validation = results.at(-1)?.[1] ?? 0;
await measure("validation and policy (country and number type of the validated number)", (i) => {
  const parsed = parsePhoneInput(phone.binding, {
    phone: phoneOf(i + 20_000_000),
    country: "IN",
    deviceId: `device-${i}`,
  });
  if (parsed.ok) judgePhone(parsed.value.phone, DEFAULT_PHONE_POLICY);
});
results.push(["  policy: the line above less validation", (results.at(-1)?.[1] ?? 0) - validation]);
process.stdout.write(`${(results.at(-1)?.[1] ?? 0).toFixed(1).padStart(8)} µs  ${results.at(-1)?.[0]}\n`);

// The limits with their HMACs, on the memory store; HMACs and the store alone.
let hmacs = 0;
class CountingKeys extends StateKeys {
  override key(purpose: string, value: string): string {
    hmacs += 1;
    return super.key(purpose, value);
  }
}
const keys = new CountingKeys("bench-secret-bench-secret-bench-secret");
const store = new MemoryStore();
const limits = new LocalLimits(config.limits, store, keys);
const subject = (i: number) => ({
  provider: "PHONE" as const,
  destination: phoneOf(i + 30_000_000),
  phone: phoneOf(i + 30_000_000),
  country: "IN",
  device: `device-${i}`,
  clientIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
});
await limits.consume(subject(-1));
const perSend = hmacs;
await measure(`limits: ${perSend} HMAC-SHA-256 keys, then the memory store's check and count`, (i) =>
  limits.consume(subject(i)),
);
await measure(`  of which the ${perSend} HMACs`, (i) => {
  for (let k = 0; k < perSend; k++) keys.key("destination", `PHONE\0${phoneOf(i)}`);
});
const challenge = (i: number) => ({
  id: `challenge-${i}`,
  provider: "PHONE" as const,
  destinationHint: "****3210",
  sentAt: new Date(),
  expiresAt: null,
  resendAvailableAt: new Date(),
  attemptsAllowed: null,
  providerMessage: "request processed successfully",
  providerReference: null,
});
await measure("store: save the challenge", (i) => store.saveChallenge(challenge(i), 900));

// The upstream call: the PHONE adapter through our client (deadline, breaker, retry policy, body bound and
// scrubbing) against the same call with a bare undici.request.
const logger = createLogger("info", pino.destination({ dest: "/dev/null", sync: false }));
const metrics = new Metrics();
// The clients as the composition root makes them.
const { clientFor, clients } = upstreamClients(config, { logger, metrics, tracing: null });
const adapter = createAdapters(config.providers, clientFor).get(phone.id);
if (!adapter) throw new Error("the PHONE adapter is not configured");
// Taken in turns (a run of each, five times), as the load of a shared machine moves between runs.
const wire = { phone: "+919812345678", country: "IN", deviceId: "d" };
const sendUrl = `${upstreamBase}/auth/otp/request`;
const bareAgent = new Agent({ keepAliveTimeout: 10_000 });
/** The same client without its breaker, in-flight cap and metrics: what those cost. */
const plainClient = new UpstreamClient({
  provider: "PHONE",
  timeoutMs: config.providerTimeoutMs,
  maxBodyBytes: config.providerMaxResponseBytes,
});
clients.push(plainClient);
await inTurns([
  [
    "upstream call: the PHONE adapter (its reply mapped) and our client (CPU of this side only)",
    () => adapter.send(wire),
  ],
  [
    "  our client alone (deadline, breaker, in-flight cap, body bound)",
    () => clients[0]?.postJson({ url: sendUrl, json: wire }),
  ],
  [
    "  our client without its breaker, in-flight cap and metrics",
    () => plainClient.postJson({ url: sendUrl, json: wire }),
  ],
  [
    "  a bare undici Agent.request",
    async () => {
      const reply = await bareAgent.request({
        origin: upstreamBase,
        path: "/auth/otp/request",
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(wire),
      });
      return reply.body.json();
    },
  ],
  ["  a bare undici.request (the peers')", () => askWithUndici(wire)],
]);
await bareAgent.close();

// Logging and metrics: the one line and the counters of a request.
const observation = {
  requestId: "00000000-0000-4000-8000-000000000000",
  provider: "PHONE" as const,
  result: "OtpSent" as const,
  providerCode: null,
  upstreamMs: 1,
  destinationHint: "****3210",
  challengeId: "AbCdEfGhIjKlMnOpQrStUvWx",
  country: "IN",
  counted: true,
  refusedBy: null,
};
await measure("logging: the request's line (formatter, redaction walk, async write)", () => {
  logger.info(observation, "requestOtp");
});
await measure("metrics: the request's counters", () => {
  metrics.requestOtp("PHONE", "OtpSent");
  metrics.policy(observation);
});

// Apollo Server's pipeline (no HTTP): the plain schema, and ours with our plugins; the otp use case answers at
// once, so this is the pipeline and the schema's own work.
const variables = (i: number) => ({
  input: { phone: { phone: phoneOf(i), country: "IN", deviceId: `device-${i}` } },
});
const sent: OtpOutcome = {
  kind: "OtpSent",
  challenge: challenge(0),
  devOtp: null,
};
const otp: GraphQLContext["otp"] = { requestOtp: () => Promise.resolve(sent) };
const plain = new ApolloServer({
  schema: plainSubgraphSchema(() => Promise.resolve({ success: true, message: "ok" })),
});
await plain.start();
await measure("Apollo Server's pipeline, the plain subgraph's schema (resolver answers at once)", (i) =>
  plain.executeOperation({ query: QUERY, variables: variables(i) }),
);
const schema = await buildOtpSchema();
const ours = new ApolloServer<GraphQLContext>({
  schema,
  logger,
  allowBatchedHttpRequests: false,
  stopOnTerminationSignals: false,
  validationRules: [singleMutationRule],
  hideSchemaDetailsFromClientErrors: true,
  includeStacktraceInErrorResponses: false,
  formatError: errorFormatter(true),
  plugins: [
    validationFailureAsOk,
    errorLog(logger, true),
    ApolloServerPluginInlineTrace(),
    ApolloServerPluginCacheControlDisabled(),
    ApolloServerPluginUsageReportingDisabled(),
  ],
});
await ours.start();
await measure(
  "Apollo Server's pipeline, our schema (type-graphql) and plugins (use case answers at once)",
  (i) =>
    ours.executeOperation(
      { query: QUERY, variables: variables(i) },
      { contextValue: createContext(otp, store, "10.0.0.1", "id") },
    ),
);

// The execution alone: graphql-js against graphql-jit, the document parsed once; on our schema, and on the plain
// one (where graphql-jit's answer is graphql-js's) for what a compiled execution could save.
const document: DocumentNode = parse(QUERY);
const context = () => createContext(otp, store, "10.0.0.1", "id");
const compiled = compileQuery(schema, document);
if (!isCompiledQuery(compiled)) throw new Error("graphql-jit did not compile the document");
/** Whether two answers are alike (challenge ids aside: the plain schema's are random). */
const same = async (a: unknown, b: unknown) => {
  const text = async (answer: unknown) => JSON.stringify(await answer).replace(/"id":"[^"]*"/g, "");
  return (await text(a)) === (await text(b));
};
await measure("  of which graphql-js execute, our schema (variables coerced, resolvers, result)", (i) =>
  execute({ schema, document, variableValues: variables(i), contextValue: context() }),
);
const jitAnswersAlike = await same(
  compiled.query(undefined, context(), variables(1)),
  execute({ schema, document, variableValues: variables(1), contextValue: context() }),
);
process.stdout.write(
  `         graphql-jit on our schema answers as graphql-js does: ${String(jitAnswersAlike)}\n`,
);
const plainSchema = plainSubgraphSchema(() => Promise.resolve({ success: true, message: "ok" }));
const plainCompiled = compileQuery(plainSchema, document);
if (!isCompiledQuery(plainCompiled)) throw new Error("graphql-jit did not compile the document");
await measure("graphql-js execute, the plain schema", (i) =>
  execute({ schema: plainSchema, document, variableValues: variables(i) }),
);
await measure("  the same through graphql-jit's compiled query", (i) =>
  plainCompiled.query(undefined, {}, variables(i)),
);
const plainAlike = await same(
  plainCompiled.query(undefined, {}, variables(1)),
  execute({ schema: plainSchema, document, variableValues: variables(1) }),
);
process.stdout.write(
  `         graphql-jit on the plain schema answers as graphql-js does: ${String(plainAlike)}\n`,
);

// Whether graphql-jit keeps graphql-js's answers: a `RequestOtpInput` with two members (`@oneOf`).
const twoMembers = {
  input: {
    phone: { phone: phoneOf(1), country: "IN", deviceId: "d" },
    paytm: { phone: "9812345678", deviceIdentifier: "d" },
  },
};
const messages = (result: { errors?: readonly { message: string }[] }) =>
  (result.errors ?? []).map(({ message }) => message).join(" | ") || "no error: the resolver ran";
process.stdout.write(
  `two members of a @oneOf input:\n  graphql-js:  ${messages(await execute({ schema, document, variableValues: twoMembers, contextValue: context() }))}\n  graphql-jit: ${messages(await compiled.query(undefined, context(), twoMembers))}\n`,
);

const wrongType = { input: { phone: { phone: 5, country: "IN" } } };
process.stdout.write(
  `a variable of the wrong type:\n  graphql-js:  ${messages(await execute({ schema, document, variableValues: wrongType, contextValue: context() }))}\n  graphql-jit: ${messages(await compiled.query(undefined, context(), wrongType))}\n`,
);

await ours.stop();
await plain.stop();
await Promise.all(clients.map((client) => client.close()));
await store.close();
await stop(upstream.child);
