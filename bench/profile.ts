/**
 * `npm run bench:profile [-- seconds [peer]]` — the subgraph (or the peer) under the benchmark's load with `--cpu-prof`, then the functions and
 * packages with the most self time. The profile is written to bench/results/<target>.cpuprofile (for Chrome
 * DevTools or speedscope).
 */
import { readdir, readFile, rename, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { load, start, stop } from "./harness.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const seconds = Number(process.argv[2] ?? 10);
/** `subgraph` (default) or `peer`, to compare where each spends its time. */
const target = process.argv[3] === "peer" ? "peer" : "subgraph";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const upstream = await start(`${root}dist/bench/upstream.js`, {});
const dir = `${root}bench/results/profile-tmp`;
await rm(dir, { recursive: true, force: true });
const subgraph = await start(
  target === "peer" ? `${root}dist/bench/peer.js` : `${root}dist/src/main.js`,
  {
    OTP_MODE: "live",
    PHONE_BASE_URL: `http://127.0.0.1:${upstream.port}`,
    TRUST_PROXY: "1",
    OTP_ALLOW_NO_ROUTER_SECRET: "true",
  },
  ["--cpu-prof", `--cpu-prof-dir=${dir}`],
);
await load(subgraph.port, { duration: 2, offset: 50_000_000 });
const { result } = await load(subgraph.port, { duration: seconds, offset: 0 });
await stop(subgraph.child);
await stop(upstream.child);

const [file] = await readdir(dir);
if (!file) throw new Error("no profile written");
const profilePath = `${root}bench/results/${target}.cpuprofile`;
await rename(`${dir}/${file}`, profilePath);
await rm(dir, { recursive: true, force: true });

const profile = JSON.parse(await readFile(profilePath, "utf8")) as { nodes: ProfileNode[] };
const total = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const { callFrame, hitCount = 0 } of profile.nodes) {
  const where = callFrame.url.replace(/^file:\/\//, "").replace(root, "");
  const pkg =
    /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)?.[1] ??
    (where.startsWith("dist/") ? "(this project)" : where || callFrame.functionName);
  const name = `${callFrame.functionName || "(anonymous)"} ${where}:${callFrame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + hitCount);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hitCount);
}
const top = (map: Map<string, number>, n: number) =>
  [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, hits]) => `${((hits / total) * 100).toFixed(1).padStart(5)}%  ${name}`)
    .join("\n");
process.stdout.write(
  `${result.requests.average.toFixed(0)} req/s over ${seconds} s while profiling\n\nself time by package\n${top(byPackage, 20)}\n\nself time by function\n${top(byFunction, 40)}\n`,
);
