import { buildSubgraphSchema } from "@apollo/subgraph";
import { printSchemaWithDirectives } from "@graphql-tools/utils";
import { fileURLToPath } from "node:url";
import { graphql, GraphQLInputObjectType, parse, type GraphQLSchema } from "graphql";
import { buildSchema, createResolversMap } from "type-graphql";
import { ChallengeResolver } from "./challenge.resolver.js";
import type { GraphQLContext } from "./context.js";
import { RequestOtpResolver } from "./request-otp.resolver.js";

/** Where `@oneOf` is specified for composition; `@composeDirective` keeps it in the supergraph. */
export const ONE_OF_SPEC_URL = "https://specs.graphql.org/oneOf/v1.0";

const FEDERATION_HEADER = `
extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@inaccessible", "@composeDirective"])
  @link(url: "${ONE_OF_SPEC_URL}", import: ["@oneOf"])
  @composeDirective(name: "@oneOf")

"Exactly one field of the input object must be set (graphql-js enforces it)."
directive @oneOf on INPUT_OBJECT
`;

/**
 * The Federation 2 subgraph schema: type-graphql's classes, printed with their directives, built by
 * `@apollo/subgraph`, with `RequestOtpInput` marked oneOf so graphql-js enforces it.
 */
export async function buildOtpSchema(): Promise<GraphQLSchema> {
  const codeFirst = await buildSchema({
    resolvers: [RequestOtpResolver, ChallengeResolver],
    validate: false,
    skipCheck: true,
  });
  const resolvers = createResolversMap(codeFirst) as Record<string, object>;
  const schema = buildSubgraphSchema({
    typeDefs: parse(FEDERATION_HEADER + printSchemaWithDirectives(codeFirst)),
    resolvers: {
      ...resolvers,
      OtpChallenge: {
        ...resolvers.OtpChallenge,
        // Entities come from the store, batched per request; an unknown or expired id is null.
        __resolveReference: (reference: { id?: unknown }, context: GraphQLContext) =>
          typeof reference.id === "string" ? context.challenges.load(reference.id) : null,
      },
    },
  });
  markOneOf(schema, "RequestOtpInput");
  return schema;
}

function markOneOf(schema: GraphQLSchema, name: string): void {
  const type = schema.getType(name);
  if (!(type instanceof GraphQLInputObjectType)) throw new Error(`${name} is not an input type`);
  // graphql-js reads this flag to enforce and introspect oneOf; type-graphql has no option for it.
  type.isOneOf = true;
}

/** Where the SDL is committed. */
export const SUBGRAPH_SDL_PATH = fileURLToPath(new URL("../../schema/subgraph.graphql", import.meta.url));

/** The SDL served as `_service { sdl }`, committed as `schema/subgraph.graphql`. */
export async function subgraphSdl(schema?: GraphQLSchema): Promise<string> {
  const result = await graphql({
    schema: schema ?? (await buildOtpSchema()),
    source: "{ _service { sdl } }",
  });
  const sdl = (result.data?._service as { sdl?: unknown } | undefined)?.sdl;
  if (typeof sdl !== "string") throw new Error("the subgraph schema serves no SDL");
  return `${sdl.trimEnd()}\n`;
}
