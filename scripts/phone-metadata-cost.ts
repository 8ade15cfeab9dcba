/**
 * `npx tsx scripts/phone-metadata-cost.ts [--runs 11]` — what libphonenumber's metadata builds cost a process: the
 * time to import `libphonenumber-js/<build>` (and, of it, the metadata module's own), and the heap and RSS it adds
 * after the import, after the first parse + `getType()`, and after one number of every country was parsed (every
 * country's patterns compiled).
 *
 * Each measurement is a fresh `node` process (plain node, no tsx loader), builds interleaved run by run so that a
 * busy moment of the machine falls on all of them; the medians are printed. A process that imports nothing is
 * the baseline the memory figures are measured from. Not a test: it prints what it measured, with the machine.
 */
import { execFileSync } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const BUILDS = ["none", "min", "mobile", "max"] as const;
type Build = (typeof BUILDS)[number];

/** What one process measured: milliseconds, and bytes after a full GC. */
interface Sample {
  importMs: number;
  /** Of `importMs`, the metadata module alone (imported after the library's code, `libphonenumber-js/core`). */
  metadataMs: number;
  firstMs: number;
  everyCountryMs: number;
  heap: { start: number; imported: number; first: number; everyCountry: number };
  rss: { start: number; imported: number; first: number; everyCountry: number };
  /** What `getType()` answered for each of {@link TYPED} (`undefined`: no type known; `invalid`: not valid). */
  types: string[];
}

/** Numbers whose type tells the builds apart: an Indian mobile and UAN, a British premium-rate, a US toll-free. */
const TYPED = ["+919876543210", "+911401234567", "+448712345678", "+18005551234"];

/** The measuring process: argv[1] is the build (`none`: no import, the baseline). */
const CHILD = `
import { performance } from "node:perf_hooks";
const build = process.argv[1];
const memory = () => { globalThis.gc(); globalThis.gc(); const { heapUsed, rss } = process.memoryUsage(); return { heapUsed, rss }; };
const start = memory();
let importMs = 0, metadataMs = 0, firstMs = 0, everyCountryMs = 0, types = [];
let imported = start, first = start, everyCountry = start;
if (build !== "none") {
  const t0 = performance.now();
  await import("libphonenumber-js/core");
  const tMetadata = performance.now();
  await import("libphonenumber-js/" + build + "/metadata");
  metadataMs = performance.now() - tMetadata;
  const lib = await import("libphonenumber-js/" + build);
  importMs = performance.now() - t0;
  imported = memory();
  const t1 = performance.now();
  lib.parsePhoneNumberFromString("+919876543210")?.getType();
  firstMs = performance.now() - t1;
  first = memory();
  const { default: examples } = await import("libphonenumber-js/mobile/examples");
  const t2 = performance.now();
  for (const country of lib.getCountries()) {
    const example = lib.getExampleNumber(country, examples);
    if (example) lib.parsePhoneNumberFromString(example.number)?.getType();
  }
  everyCountryMs = performance.now() - t2;
  everyCountry = memory();
  types = ${JSON.stringify(TYPED)}.map((text) => {
    const number = lib.parsePhoneNumberFromString(text);
    return number?.isValid() ? String(number.getType()) : "invalid";
  });
}
const pick = (key) => ({ start: start[key], imported: imported[key], first: first[key], everyCountry: everyCountry[key] });
process.stdout.write(JSON.stringify({ importMs, metadataMs, firstMs, everyCountryMs, heap: pick("heapUsed"), rss: pick("rss"), types }));
`;

const { values } = parseArgs({ options: { runs: { type: "string", default: "11" } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be a positive integer");
const root = fileURLToPath(new URL("..", import.meta.url));

function measure(build: Build): Sample {
  const output = execFileSync(
    process.execPath,
    ["--expose-gc", "--input-type=module", "--eval", CHILD, build],
    { cwd: root, encoding: "utf8" },
  );
  return JSON.parse(output) as Sample;
}

/** The `q`-quantile (0.5: the median), interpolated between the nearest samples. */
const quantile = (numbers: number[], q: number) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const below = sorted[Math.floor(at)] ?? 0;
  return below + ((sorted[Math.ceil(at)] ?? 0) - below) * (at - Math.floor(at));
};
const median = (numbers: number[]) => quantile(numbers, 0.5);

const samples = new Map<Build, Sample[]>(BUILDS.map((build) => [build, []]));
const loadBefore = loadavg()[0] ?? 0;
for (let run = 0; run < runs; run += 1) {
  for (const build of BUILDS) samples.get(build)?.push(measure(build));
}
const loadAfter = loadavg()[0] ?? 0;

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const baseline = samples.get("none") ?? [];
const baseHeap = median(baseline.map((sample) => sample.heap.start));
const baseRss = median(baseline.map((sample) => sample.rss.start));

const rows = BUILDS.filter((build) => build !== "none").map((build) => {
  const of = samples.get(build) ?? [];
  const at = (pick: (sample: Sample) => number) => median(of.map(pick));
  const spread = (pick: (sample: Sample) => number) => {
    const values = of.map(pick);
    return `${median(values).toFixed(1)} (${quantile(values, 0.25).toFixed(1)}-${quantile(values, 0.75).toFixed(1)})`;
  };
  return [
    build,
    spread((sample) => sample.importMs),
    spread((sample) => sample.metadataMs),
    `+${mb(at((sample) => sample.heap.imported) - baseHeap)} / +${mb(at((sample) => sample.rss.imported) - baseRss)}`,
    at((sample) => sample.firstMs).toFixed(1),
    `+${mb(at((sample) => sample.heap.first) - baseHeap)} / +${mb(at((sample) => sample.rss.first) - baseRss)}`,
    at((sample) => sample.everyCountryMs).toFixed(0),
    `+${mb(at((sample) => sample.heap.everyCountry) - baseHeap)} / +${mb(at((sample) => sample.rss.everyCountry) - baseRss)}`,
    ...(of[0]?.types ?? []),
  ];
});
const header = [
  "build",
  "import ms (quartiles)",
  "of which the metadata, ms",
  "after import: heap / RSS MB",
  "first parse+getType ms",
  "after it: heap / RSS MB",
  "every country once, ms",
  "after that: heap / RSS MB",
  ...TYPED.map((number) => `getType(${number})`),
];

const cpu = cpus();
process.stdout.write(
  `libphonenumber-js metadata cost: median of ${runs} fresh processes per build, memory above a process that ` +
    `imports nothing (heap ${mb(baseHeap)} MB, RSS ${mb(baseRss)} MB), after a full GC\n` +
    `machine: ${cpu.length} x ${cpu[0]?.model ?? "unknown CPU"}, ${mb(totalmem())} MB, node ${process.version}, ` +
    `load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after\n\n` +
    `| ${header.join(" | ")} |\n| ${header.map(() => "---").join(" | ")} |\n` +
    rows.map((row) => `| ${row.join(" | ")} |`).join("\n") +
    "\n",
);
