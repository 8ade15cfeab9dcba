import { composeServices, type CompositionSuccess } from "@apollo/composition";
import { parse } from "graphql";
import { readFile } from "node:fs/promises";
import { SUBGRAPH_SDL_PATH } from "../../src/graphql/schema.js";
import { SUPPORT_SDL_PATH } from "./support-subgraph.js";

/** One subgraph of the test supergraph: its name, SDL and routing URL. */
export interface SubgraphDefinition {
  name: string;
  sdl: string;
  url: string;
}

/** The committed `schema/subgraph.graphql` (what `npm run schema:print` publishes) as subgraph `otp`. */
export async function otpSubgraph(url = "http://otp.invalid/graphql"): Promise<SubgraphDefinition> {
  return { name: "otp", sdl: await readFile(SUBGRAPH_SDL_PATH, "utf8"), url };
}

/** The test's second subgraph as subgraph `support`. */
export async function supportSubgraph(url = "http://support.invalid/graphql"): Promise<SubgraphDefinition> {
  return { name: "support", sdl: await readFile(SUPPORT_SDL_PATH, "utf8"), url };
}

/** Compose subgraphs with `@apollo/composition` (what `rover supergraph compose` runs); throws on errors. */
export function compose(subgraphs: SubgraphDefinition[]): CompositionSuccess {
  const result = composeServices(
    subgraphs.map(({ name, sdl, url }) => ({ name, url, typeDefs: parse(sdl) })),
  );
  if (result.errors) {
    throw new Error(`composition failed:\n${result.errors.map((error) => error.message).join("\n")}`);
  }
  return result;
}
