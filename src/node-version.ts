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
