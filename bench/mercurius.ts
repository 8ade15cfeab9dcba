/**
 * The yardstick for the GraphQL pipeline: the plain subgraph (`plain-subgraph.ts`) on mercurius with graphql-jit
 * (every document compiled from its first use), asking the upstream with `undici.request`. A dev dependency only.
 */
import Fastify from "fastify";
import mercurius from "mercurius";
import { askWithUndici, plainSubgraphSchema } from "./plain-subgraph.js";

const fastify = Fastify();
await fastify.register(mercurius, { schema: plainSubgraphSchema(askWithUndici), path: "/graphql", jit: 1 });
const address = await fastify.listen({ port: Number(process.env.PORT ?? 0), host: "127.0.0.1" });
process.stdout.write(`listening ${new URL(address).port}\n`);
process.on("SIGTERM", () => void fastify.close().then(() => process.exit(0)));
