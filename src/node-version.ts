/**
 * The Node.js lines this service runs on: the maintained ones, 22 (from 22.19, undici's floor), 24 and 26 on.
 * `package.json`'s `engines` says the same (a test holds them together). No import: `main.ts` checks this before
 * anything else loads.
 */
export const SUPPORTED_NODE = "^22.19.0 || ^24.0.0 || >=26.0.0";

/** Why `version` (as in `process.versions.node`) cannot run the service, in one line; null when it can. */
export function unsupportedNode(version: string): string | null {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  const supported = (major === 22 && minor >= 19) || major === 24 || major >= 26;
  return supported
    ? null
    : `Node.js ${version} is not supported: run Node.js 22 (22.19 or later), 24 or 26 (package.json engines: ${SUPPORTED_NODE}).`;
}

/**
 * The flags the service is started with, wherever it ships: the image's `CMD`, `npm start`, the production-install
 * test and the benchmark (a test holds them together). `--max-semi-space-size=16` caps V8's young generation at
 * 16 MB a semi-space, what Node.js 20 used. Node.js 22 and later grow it to 64 MB under load, and keep the pages
 * it gave up in a pool that an idle server does not return to the system: measured with the benchmark's memory
 * phase (100 000 sends to distinct destinations, Node.js 24), the settled RSS grew 80–88 MB without the flag and
 * 25 MB with it (21 MB of it the store's own bytes), at the same CPU per request (docs/benchmark.md).
 */
export const NODE_FLAGS: readonly string[] = ["--max-semi-space-size=16"];
