/**
 * The peer: the plain subgraph a team could write in an afternoon. SDL-first `@apollo/server` +
 * `@apollo/subgraph`, its standalone server, one resolver that `fetch`es the upstream and returns its fields.
 * No validation, no limits, no logging.
 */
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { askWithFetch, plainSubgraphSchema } from "./plain-subgraph.js";

const server = new ApolloServer({ schema: plainSubgraphSchema(askWithFetch) });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(process.env.PORT ?? 0), host: "127.0.0.1" },
});
process.stdout.write(`listening ${new URL(url).port}\n`);
process.on("SIGTERM", () => void server.stop().then(() => process.exit(0)));
