import { buildSubgraphSchema } from "@apollo/subgraph";
import { printSchemaWithDirectives } from "@graphql-tools/utils";
import { fileURLToPath } from "node:url";
import {
  graphql,
  GraphQLError,
  GraphQLInputObjectType,
  GraphQLUnionType,
  parse,
  type DocumentNode,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from "graphql";
import { buildSchema, createResolversMap } from "type-graphql";
import { ChallengeResolver } from "./challenge.resolver.js";
import type { GraphQLContext } from "./context.js";
import { directResolvers } from "./direct-resolvers.js";
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
  const resolvers = directResolvers(createResolversMap(codeFirst));
  const schema = buildSubgraphSchema([
    {
      typeDefs: detachedDocument(FEDERATION_HEADER + printSchemaWithDirectives(codeFirst)),
      resolvers: {
        ...resolvers,
        OtpChallenge: {
          ...resolvers.OtpChallenge,
          // Entities come from the store, batched per request; an unknown or expired id is null.
          __resolveReference: (reference: { id?: unknown }, context: GraphQLContext) =>
            typeof reference.id === "string" ? context.challenges.load(reference.id) : null,
        },
      },
    },
  ]);
  markOneOf(schema, "RequestOtpInput");
  refuseUnknownEntities(schema);
  return schema;
}

/**
 * The SDL's syntax tree as plain data, not graphql-js's parser's objects. `@apollo/subgraph` 2.15 keeps the tree it
 * is given for the life of the process (each type's `astNode`); objects the parser made that all survived led V8 to
 * pretenure the parser's object literals (allocation-site pretenuring), so every request's document was then made
 * in the old generation. Dead there until a full collection, those nodes kept each request's source text (60 KB in
 * the padded probe) alive through young collections: promoted, 4,000 distinct documents grew the process by 230 MB
 * of pages V8 had freed but kept (30 MB with this copy). The copy comes from `JSON.parse`, which uses no allocation
 * site, and the parser's own tree dies young, as requests' trees do.
 */
function detachedDocument(sdl: string): DocumentNode {
  return JSON.parse(JSON.stringify(parse(sdl, { noLocation: true }))) as DocumentNode;
}

/**
 * A representation whose `__typename` names no entity of this subgraph is the client's mistake, answered as
 * BAD_USER_INPUT before any is resolved. `@apollo/subgraph` would throw a plain Error (INTERNAL_SERVER_ERROR)
 * naming the type, or fail later while resolving the `_Entity` union.
 */
export class UnknownEntityError extends GraphQLError {
  override readonly name = "UnknownEntityError";

  constructor(index: number) {
    super(`representations[${index}] has no __typename of an entity of this subgraph.`, {
      extensions: { code: "BAD_USER_INPUT" },
    });
  }
}

function refuseUnknownEntities(schema: GraphQLSchema): void {
  const entities = schema.getType("_Entity");
  const field = schema.getQueryType()?.getFields()._entities;
  if (!(entities instanceof GraphQLUnionType) || !field?.resolve) {
    throw new Error("the subgraph schema has no _entities");
  }
  const names = new Set(entities.getTypes().map((type) => type.name));
  const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve;
  field.resolve = (source, args: { representations?: unknown }, context, info) => {
    const representations = Array.isArray(args.representations) ? args.representations : [];
    representations.forEach((representation: unknown, index) => {
      const typename = (representation as { __typename?: unknown } | null)?.__typename;
      if (typeof typename !== "string" || !names.has(typename)) throw new UnknownEntityError(index);
    });
    return resolve(source, args, context, info);
  };
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
