import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginUsageReportingDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginInlineTrace } from "@apollo/server/plugin/inlineTrace";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** Where the second subgraph's SDL lives (also read by `examples/supergraph.yaml` for rover). */
export const SUPPORT_SDL_PATH = fileURLToPath(new URL("./support.graphql", import.meta.url));

/** An `OtpChallenge` representation as the gateway sends it to this subgraph for `@requires`. */
export interface ChallengeRepresentation {
  __typename: "OtpChallenge";
  id: string;
  providerReference?: string | null;
}

/** The support subgraph, listening on loopback. */
export interface SupportSubgraph {
  url: string;
  sdl: string;
  /** Challenge ids of the sign-in attempts `signInAttempts` lists; tests push to it. */
  attempts: string[];
  /** Every representation the gateway asked this subgraph to resolve. */
  representations: ChallengeRepresentation[];
  close(): Promise<void>;
}

/** What support staff quote to a provider instead of the provider's handle itself. */
export function supportReference(providerReference: string): string {
  return createHash("sha256").update(providerReference).digest("hex").slice(0, 12);
}

/** Start the support subgraph of `support.graphql` on `127.0.0.1:0`. */
export async function startSupportSubgraph(): Promise<SupportSubgraph> {
  const sdl = await readFile(SUPPORT_SDL_PATH, "utf8");
  const attempts: string[] = [];
  const representations: ChallengeRepresentation[] = [];
  const schema = buildSubgraphSchema([
    {
      typeDefs: parse(sdl),
      resolvers: {
        Query: {
          signInAttempts: () =>
            attempts.map((id, index) => ({ id: `attempt-${index + 1}`, challenge: { id } })).reverse(),
        },
        OtpChallenge: {
          __resolveReference: (reference: ChallengeRepresentation) => {
            representations.push(reference);
            return reference;
          },
          supportReference: ({ providerReference }: ChallengeRepresentation) =>
            providerReference ? supportReference(providerReference) : null,
        },
      },
    },
  ]);
  const server = new ApolloServer({
    schema,
    plugins: [ApolloServerPluginUsageReportingDisabled(), ApolloServerPluginInlineTrace()],
  });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: "127.0.0.1" } });
  return { url, sdl, attempts, representations, close: () => server.stop() };
}
