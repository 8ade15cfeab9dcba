/**
 * `npm run bench:profile [-- seconds [target [scenario]]]` — one target under the benchmark's load with
 * `--cpu-prof`, then where its time goes: CPU microseconds per request by stage, and the packages and functions
 * with the most self time. target: `subgraph` (default), `peer`, `ceiling` or `mercurius`; scenario (the
 * subgraph's): `send` (default), `capped`, `policy` or `invalid` (see `harness.ts`). The profile is written to
 * bench/results/<target>[-<scenario>].cpuprofile (for Chrome DevTools or speedscope).
 *
 * A stage is found for each sample from its stack: the frame nearest the top that belongs to a stage (node's own
 * internals, builtins, libphonenumber and zod are counted for the frame that called them), so the HMACs of the
 * limits count for the limits and a JSON.stringify in a log line for logging. Microseconds per request are the
 * sampled time of a stage over the requests answered while profiling: CPU time of the process's main thread
 * (idle excluded), within the sampling interval's precision.
 */
import { readdir, readFile, rename, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { load, loadAverage, start, stop, type Scenario } from "./harness.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const seconds = Number(process.argv[2] ?? 10);
const targets = {
  subgraph: "dist/src/main.js",
  peer: "dist/bench/peer.js",
  ceiling: "dist/bench/ceiling.js",
  mercurius: "dist/bench/mercurius.js",
};
const target = (process.argv[3] ?? "subgraph") as keyof typeof targets;
if (!(target in targets)) throw new Error(`target: one of ${Object.keys(targets).join(", ")}`);
const scenario = (process.argv[4] ?? "send") as Scenario;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** Stages in the order they are printed; each path pattern is tried in this order on a frame's location. */
const STAGES: [stage: string, pattern: RegExp][] = [
  ["limits and HMACs", /dist\/src\/otp\/(limits|idempotency|store\/state-keys)\.js/],
  ["store", /dist\/src\/otp\/store\//],
  ["policy (phone number type and country)", /dist\/src\/otp\/phone-policy\.js/],
  ["validation", /dist\/src\/(otp\/validators\/|otp\/field-errors\.js|providers\/[^/]+\/input\.js)/],
  ["use case (otp-service)", /dist\/src\/otp\//],
  [
    "logging",
    /dist\/src\/log\.js|node_modules\/(pino|sonic-boom|thread-stream|pino-std-serializers|fast-redact)\//,
  ],
  ["metrics", /dist\/src\/metrics\.js|node_modules\/prom-client\//],
  [
    "upstream call",
    /dist\/src\/providers\/|node_modules\/(undici|cockatiel)\/|dist\/bench\/plain-subgraph\.js|node:internal\/deps\/undici/,
  ],
  ["our GraphQL glue (plugins, context, resolvers, document limits)", /dist\/src\/(graphql|server)\//],
  ["type-graphql (resolver and argument wrapping)", /node_modules\/type-graphql\//],
  ["graphql-js (parse, validate, execute)", /node_modules\/graphql\//],
  ["graphql-jit", /node_modules\/graphql-jit\//],
  ["Apollo Server's pipeline (and its plugins)", /node_modules\/@apollo\//],
  ["mercurius", /node_modules\/mercurius\//],
  [
    "HTTP: fastify, its Apollo integration, node:http",
    /node_modules\/(fastify|@fastify|@as-integrations|find-my-way|avvio|light-my-request|fast-json-stringify|secure-json-parse|toad-cache|fast-querystring)\/|node:(_http|http|net|internal\/http|internal\/stream|internal\/streams|stream|events|internal\/timers|timers)/,
  ],
  ["other (this project: bootstrap, tracing)", /dist\/src\//],
];
/** Frames whose time is their caller's (builtins and helpers used on behalf of a stage). */
const TRANSPARENT =
  /^$|node_modules\/(libphonenumber-js|zod|dataloader|@graphql-tools)\/|^node:internal\/(util|errors|validators|buffer|url|process\/task_queues|async_hooks|promise)/;

const upstream = await start(`${root}dist/bench/upstream.js`, {});
const dir = `${root}bench/results/profile-tmp`;
await rm(dir, { recursive: true, force: true });
const server = await start(
  `${root}${targets[target]}`,
  {
    OTP_MODE: "live",
    PHONE_BASE_URL: `http://127.0.0.1:${upstream.port}`,
    TRUST_PROXY: "1",
    OTP_ALLOW_NO_ROUTER_SECRET: "true",
  },
  ["--cpu-prof", `--cpu-prof-dir=${dir}`],
);
const warmUp = await load(server.port, { duration: 2, offset: 50_000_000, scenario });
const { result, unexpected } = await load(server.port, { duration: seconds, offset: 0, scenario });
const loadAtEnd = loadAverage();
await stop(server.child);
await stop(upstream.child);

const [file] = await readdir(dir);
if (!file) throw new Error("no profile written");
const name = scenario === "send" ? target : `${target}-${scenario}`;
const profilePath = `${root}bench/results/${name}.cpuprofile`;
await rename(`${dir}/${file}`, profilePath);
await rm(dir, { recursive: true, force: true });

const profile = JSON.parse(await readFile(profilePath, "utf8")) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const where = (node: ProfileNode) => node.callFrame.url.replace(/^file:\/\//, "").replace(root, "");

const HTTP_STAGE = "HTTP: fastify, its Apollo integration, node:http";
const STARTUP = "(start-up: module loading, not counted)";

/** The stage of a frame itself; undefined for node's internals and transparent helpers. */
function ownStage(url: string): string | undefined {
  if (url.startsWith("node:") || TRANSPARENT.test(url)) return undefined;
  return STAGES.find(([, pattern]) => pattern.test(url))?.[0];
}

/**
 * The stage of a node's samples: its own; else its caller's (node's internals and builtins working for a
 * stage are that stage's: a socket write for undici is the upstream call's); else, for node's HTTP and stream
 * internals with no package above them (reading a socket, parsing a request), HTTP.
 */
const stageOf = new Map<number, string | undefined>();
function classify(id: number): string | undefined {
  if (stageOf.has(id)) return stageOf.get(id);
  const node = nodes.get(id);
  let stage: string | undefined;
  if (node) {
    const fn = node.callFrame.functionName;
    const url = where(node);
    const up = parent.get(id);
    if (fn === "(garbage collector)") stage = "garbage collection";
    else if (fn === "(idle)") stage = "(idle)";
    else if (fn === "(program)") stage = "V8 and native (program)";
    else if (/^node:internal\/modules\//.test(url)) stage = STARTUP;
    else {
      const inherited = up === undefined ? undefined : classify(up);
      stage =
        inherited === STARTUP
          ? STARTUP
          : (ownStage(url) ??
            inherited ??
            (/^node:/.test(url) && STAGES.at(-2)?.[1].test(url) ? HTTP_STAGE : undefined));
    }
  }
  stageOf.set(id, stage);
  return stage;
}

// Time per sample: the delta to the next sample (the profile's own timing), in microseconds.
const byStage = new Map<string, number>();
const byFunction = new Map<string, number>();
/** Self time by function within each stage. */
const byStageFunction = new Map<string, Map<string, number>>();
const byPackage = new Map<string, number>();
let busy = 0;
profile.samples.forEach((id, i) => {
  const micros = profile.timeDeltas[i + 1] ?? 0;
  const stage = classify(id) ?? "other (event loop, microtasks, timers)";
  if (stage === "(idle)" || stage === STARTUP) return;
  busy += micros;
  byStage.set(stage, (byStage.get(stage) ?? 0) + micros);
  const node = nodes.get(id);
  if (!node) return;
  const url = where(node);
  const pkg =
    /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
    (url.startsWith("dist/") ? "(this project)" : url || node.callFrame.functionName);
  const fn = `${node.callFrame.functionName || "(anonymous)"} ${url}:${node.callFrame.lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
  const inStage = byStageFunction.get(stage) ?? new Map<string, number>();
  byStageFunction.set(stage, inStage.set(fn, (inStage.get(fn) ?? 0) + micros));
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros);
});
// The profile covers the warm-up too (its start-up is left out above).
const requests = warmUp.result.requests.total + result.requests.total;
const top = (map: Map<string, number>, n: number) =>
  [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(
      ([label, micros]) =>
        `${(micros / requests).toFixed(1).padStart(7)} µs ${((micros / busy) * 100).toFixed(1).padStart(5)}%  ${label}`,
    )
    .join("\n");
process.stdout.write(
  [
    `${target}, ${scenario}: ${result.requests.average.toFixed(0)} req/s over ${seconds} s while profiling (${requests} requests, ${unexpected} not as expected); load average ${loadAtEnd}`,
    `main thread busy ${(busy / requests).toFixed(1)} µs per request`,
    "",
    "CPU per request by stage",
    top(byStage, 30),
    "",
    "the functions with the most self time in each stage",
    ...[...byStage.entries()]
      .sort((a, b) => b[1] - a[1])
      .flatMap(([stage]) => [`  ${stage}`, top(byStageFunction.get(stage) ?? new Map<string, number>(), 5)]),
    "",
    "self time by package",
    top(byPackage, 20),
    "",
    "self time by function",
    top(byFunction, 40),
    "",
  ].join("\n"),
);
