import { readFile } from "node:fs/promises";
import { graphql, isEnumType, isInputObjectType, isInterfaceType, isObjectType } from "graphql";
import { describe, expect, it } from "vitest";
import { buildOtpSchema, SUBGRAPH_SDL_PATH, subgraphSdl } from "../../src/graphql/schema.js";
import { PROVIDERS } from "../../src/providers/registry.js";

describe("the subgraph schema", () => {
  it("is the committed schema/subgraph.graphql, and `_service { sdl }` serves it", async () => {
    const committed = await readFile(SUBGRAPH_SDL_PATH, "utf8");
    expect(await subgraphSdl(), "run `npm run schema:write`").toBe(committed);
  });

  it("carries @key, @inaccessible, @oneOf and @composeDirective", async () => {
    const sdl = await subgraphSdl();
    expect(sdl).toMatch(/type OtpChallenge\s+@key\(fields: "id"\)/);
    expect(sdl).toMatch(/providerReference: String @inaccessible/);
    expect(sdl).toMatch(/input RequestOtpInput\s+@oneOf/);
    expect(sdl).toContain('@composeDirective(name: "@oneOf")');
    expect(sdl).toContain("directive @oneOf on INPUT_OBJECT");
  });

  it("introspects RequestOtpInput as oneOf, with a member for every provider of the registry", async () => {
    const result = await graphql({
      schema: await buildOtpSchema(),
      source: `{ __type(name: "RequestOtpInput") { isOneOf inputFields { name } } }`,
    });
    expect(result.data).toEqual({
      __type: {
        isOneOf: true,
        inputFields: PROVIDERS.map(({ input }) => ({ name: input.member })),
      },
    });
  });

  it("describes every type, field, argument and enum value", async () => {
    const schema = await buildOtpSchema();
    const own = (name: string) =>
      !name.startsWith("_") && !name.startsWith("link__") && !name.startsWith("federation__");
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (
        !own(type.name) ||
        ["Query", "Mutation", "String", "Boolean", "Int", "ID", "Float"].includes(type.name)
      )
        continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        const fields: { name: string; description?: string | null }[] = Object.values<{
          name: string;
          description?: string | null;
        }>(type.getFields());
        for (const field of fields) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
        }
      }
      if (isEnumType(type)) {
        for (const value of type.getValues())
          if (!value.description) missing.push(`${type.name}.${value.name}`);
      }
    }
    const mutation = schema.getMutationType()?.getFields().requestOtp;
    for (const arg of mutation?.args ?? []) if (!arg.description) missing.push(`requestOtp(${arg.name})`);
    expect(missing).toEqual([]);
  });
});
