/**
 * The subgraph SDL (what `_service { sdl }` serves and composition reads).
 *   tsx scripts/schema.ts          print it on stdout, for publishing tools
 *   tsx scripts/schema.ts --write  write schema/subgraph.graphql
 *   tsx scripts/schema.ts --check  fail when schema/subgraph.graphql is stale
 */
import "reflect-metadata";
import { readFile, writeFile } from "node:fs/promises";
import { SUBGRAPH_SDL_PATH, subgraphSdl } from "../src/graphql/schema.js";

const sdl = await subgraphSdl();
const mode = process.argv[2];
if (mode === "--write") {
  await writeFile(SUBGRAPH_SDL_PATH, sdl);
} else if (mode === "--check") {
  const committed = await readFile(SUBGRAPH_SDL_PATH, "utf8").catch(() => "");
  if (committed !== sdl) {
    process.stderr.write("schema/subgraph.graphql is stale: run `npm run schema:write` and commit it.\n");
    process.exit(1);
  }
} else {
  process.stdout.write(sdl);
}
