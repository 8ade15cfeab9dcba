import type { CodegenConfig } from "@graphql-codegen/cli";

/**
 * Typed operations from the committed subgraph SDL: for the tests' GraphQL client, and for the frontend example in
 * `examples/` (operation types only, so nothing a frontend cannot query, like `providerReference`, is emitted).
 */
const config: CodegenConfig = {
  schema: "schema/subgraph.graphql",
  ignoreNoDocuments: false,
  generates: {
    "test/__generated__/": {
      documents: ["test/operations/*.graphql"],
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
    "examples/__generated__/": {
      documents: ["examples/operations/*.graphql"],
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        importExtension: ".js",
        enumsAsTypes: true,
        onlyOperationTypes: true,
        scalars: { DateTimeISO: "string" },
        defaultScalarType: "unknown",
      },
    },
  },
};

export default config;
