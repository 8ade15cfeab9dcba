import type { CodegenConfig } from "@graphql-codegen/cli";

/** Typed operations from the committed subgraph SDL, for the tests' GraphQL client. */
const config: CodegenConfig = {
  schema: "schema/subgraph.graphql",
  documents: ["test/operations/*.graphql"],
  ignoreNoDocuments: false,
  generates: {
    "test/__generated__/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        importExtension: ".js",
        enumsAsTypes: true,
        scalars: { DateTimeISO: "string" },
        defaultScalarType: "unknown",
      },
    },
  },
};

export default config;
