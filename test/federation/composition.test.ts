import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  GraphQLInputObjectType,
  GraphQLObjectType,
  parse,
  printSchema,
  validate,
  type GraphQLSchema,
} from "graphql";
import { describe, expect, it } from "vitest";
import { SUBGRAPH_SDL_PATH } from "../../src/graphql/schema.js";
import { PROVIDERS } from "../../src/providers/registry.js";
import { SUPPORT_SDL_PATH } from "./support-subgraph.js";
import { compose, otpSubgraph, supportSubgraph } from "./supergraph.js";

const run = promisify(execFile);

function apiSchema(result: ReturnType<typeof compose>): GraphQLSchema {
  return result.schema.toAPISchema().toGraphQLJSSchema();
}

function objectType(schema: GraphQLSchema, name: string): GraphQLObjectType {
  const type = schema.getType(name);
  if (!(type instanceof GraphQLObjectType)) throw new Error(`${name} is not an object type`);
  return type;
}

describe("composition with @apollo/composition", () => {
  it("composes schema/subgraph.graphql with a subgraph that @requires providerReference, with no hints", async () => {
    const result = compose([await otpSubgraph(), await supportSubgraph()]);
    expect(result.hints.map(String)).toEqual([]);
    expect(result.supergraphSdl).toContain('@join__graph(name: "otp", url: "http://otp.invalid/graphql")');
    expect(result.supergraphSdl).toMatch(
      /supportReference: String @join__field\(graph: SUPPORT, requires: "providerReference"\)/,
    );
  });

  it("keeps @oneOf on RequestOtpInput in the supergraph, through @composeDirective", async () => {
    const { supergraphSdl } = compose([await otpSubgraph(), await supportSubgraph()]);
    expect(supergraphSdl).toMatch(/input RequestOtpInput\s+@join__type\(graph: OTP\)\s+@oneOf\s*\{/);
    expect(supergraphSdl).toContain('@link(url: "https://specs.graphql.org/oneOf/v1.0", import: ["@oneOf"])');
    expect(supergraphSdl).toContain("directive @oneOf on INPUT_OBJECT");
  });

  it("drops @oneOf without @composeDirective (why the subgraph SDL links and composes it)", async () => {
    const otp = await otpSubgraph();
    const sdl = otp.sdl.replace('@composeDirective(name: "@oneOf")', "");
    expect(sdl).not.toBe(otp.sdl);
    const { supergraphSdl } = compose([{ ...otp, sdl }, await supportSubgraph()]);
    expect(supergraphSdl).toMatch(/input RequestOtpInput\s+@join__type\(graph: OTP\)\s*\{/);
    expect(supergraphSdl).not.toContain("@oneOf");
  });

  it("serves an API schema without providerReference or the federation plumbing", async () => {
    const api = apiSchema(compose([await otpSubgraph(), await supportSubgraph()]));
    const challenge = Object.keys(objectType(api, "OtpChallenge").getFields());
    expect(challenge).not.toContain("providerReference");
    expect(challenge).toEqual(
      expect.arrayContaining(["id", "destinationHint", "devOtp", "supportReference"]),
    );
    const printed = printSchema(api);
    expect(printed).not.toMatch(/providerReference|_entities|_service|join__|link__/);
    expect(Object.keys(objectType(api, "Mutation").getFields())).toEqual(["requestOtp"]);
    const input = api.getType("RequestOtpInput");
    expect(input).toBeInstanceOf(GraphQLInputObjectType);
    expect(Object.keys((input as GraphQLInputObjectType).getFields())).toEqual(
      PROVIDERS.map(({ input: { member } }) => member),
    );
  });

  it("accepts the frontend example's operations against the supergraph's API schema", async () => {
    const api = apiSchema(compose([await otpSubgraph(), await supportSubgraph()]));
    const operations = await readFile(
      new URL("../../examples/operations/request-otp.graphql", import.meta.url),
      "utf8",
    );
    expect(validate(api, parse(operations)).map(String)).toEqual([]);
    const internal = parse("query { signInAttempts { challenge { providerReference } } }");
    expect(validate(api, internal).map((error) => error.message)).toEqual([
      expect.stringContaining('Cannot query field "providerReference" on type "OtpChallenge".'),
    ]);
  });

  it("`npm run --silent schema:print` prints exactly the SDL that composition reads", async () => {
    const support = await supportSubgraph();
    const { stdout } = await run("npm", ["run", "--silent", "schema:print"], {
      cwd: new URL("../..", import.meta.url),
      env: { ...process.env, npm_config_loglevel: "silent" },
    });
    expect(stdout).toBe(await readFile(SUBGRAPH_SDL_PATH, "utf8"));
    const printed = { name: "otp", sdl: stdout, url: "http://otp.invalid/graphql" };
    expect(() => compose([printed, support])).not.toThrow();
  });

  it("`npm run --silent supergraph:compose` prints the supergraph of examples/supergraph.yaml's subgraphs", async () => {
    const { stdout } = await run("npm", ["run", "--silent", "supergraph:compose"], {
      cwd: new URL("../..", import.meta.url),
      env: { ...process.env, npm_config_loglevel: "silent" },
    });
    const expected = compose([
      await otpSubgraph("http://localhost:4001/graphql"),
      await supportSubgraph("http://localhost:4002/graphql"),
    ]);
    expect(stdout).toBe(expected.supergraphSdl);
  });

  it("examples/supergraph.yaml (for rover) names the same SDL files, relative to itself", async () => {
    const config = await readFile(new URL("../../examples/supergraph.yaml", import.meta.url), "utf8");
    const files = [...config.matchAll(/^\s+file: (.+)$/gm)].map(([, file]) =>
      fileURLToPath(new URL(file ?? "", new URL("../../examples/", import.meta.url))),
    );
    expect(files).toEqual([SUBGRAPH_SDL_PATH, SUPPORT_SDL_PATH]);
    expect([...config.matchAll(/routing_url: (.+)$/gm)].map(([, url]) => url)).toEqual([
      "http://localhost:4001/graphql",
      "http://localhost:4002/graphql",
    ]);
  });

  it("composes on its own too: it has a query root (otpChallenge)", async () => {
    const otp = await otpSubgraph();
    expect(() => compose([otp])).not.toThrow();
  });
});
