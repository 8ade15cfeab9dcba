/**
 * Process entry. An unsupported Node.js is refused in one line before anything else loads (a dynamic import, so
 * nothing of the service is even parsed first); then `run.ts` starts the service.
 */
import { unsupportedNode } from "./node-version.js";

const problem = unsupportedNode(process.versions.node);
if (problem !== null) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
await import("./run.js");
