/**
 * The ceiling of our own stack: the plain subgraph (`plain-subgraph.ts`) on the same parts this subgraph uses,
 * `@apollo/server` on fastify through `@as-integrations/fastify`, asking the upstream with `undici.request`, and
 * nothing else: no validation, limits, logging, metrics or plugins. What this subgraph would serve if its own
 * work cost nothing.
 */
import { ApolloServer } from "@apollo/server";
import fastifyApollo, { fastifyApolloDrainPlugin } from "@as-integrations/fastify";
import Fastify from "fastify";
import { askWithUndici, plainSubgraphSchema } from "./plain-subgraph.js";

const fastify = Fastify();
const apollo = new ApolloServer({
  schema: plainSubgraphSchema(askWithUndici),
  plugins: [fastifyApolloDrainPlugin(fastify)],
});
await apollo.start();
await fastify.register(fastifyApollo(apollo), { path: "/graphql", method: ["POST", "GET"] });
const address = await fastify.listen({ port: Number(process.env.PORT ?? 0), host: "127.0.0.1" });
process.stdout.write(`listening ${new URL(address).port}\n`);
process.on("SIGTERM", () => void fastify.close().then(() => process.exit(0)));
