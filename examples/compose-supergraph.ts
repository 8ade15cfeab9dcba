/**
 * Compose a supergraph with `@apollo/composition` (the library `rover supergraph compose` runs) and print its SDL.
 *
 *   npm run --silent supergraph:compose > supergraph.graphql
 *   npm run --silent supergraph:compose -- otp=schema/subgraph.graphql@http://otp:4001/graphql \
 *     accounts=../accounts/schema.graphql@http://accounts:4002/graphql > supergraph.graphql
 *
 * Each argument is `name=<sdl file>@<routing url>`; with none, this subgraph and the test's second subgraph
 * (`examples/supergraph.yaml`'s two). Errors and hints go to stderr; an error exits 1.
 */
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";
import { readFile } from "node:fs/promises";

const DEFAULT_SUBGRAPHS = [
  "otp=schema/subgraph.graphql@http://localhost:4001/graphql",
  "support=test/federation/support.graphql@http://localhost:4002/graphql",
];

const specs = process.argv.slice(2);
const services = await Promise.all(
  (specs.length > 0 ? specs : DEFAULT_SUBGRAPHS).map(async (spec) => {
    const match = /^([A-Za-z_][\w-]*)=(.+)@(https?:\/\/.+)$/.exec(spec);
    if (!match?.[1] || !match[2] || !match[3]) {
      throw new Error(`expected name=<sdl file>@<routing url>, got ${spec}`);
    }
    const [, name, file, url] = match;
    return { name, url, typeDefs: parse(await readFile(file, "utf8")) };
  }),
);

const result = composeServices(services);
if (result.errors) {
  for (const error of result.errors) process.stderr.write(`error: ${error.message}\n`);
  process.exit(1);
}
for (const hint of result.hints) process.stderr.write(`hint: ${hint.toString()}\n`);
process.stdout.write(result.supergraphSdl);
