// @ts-check
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "coverage/", "**/__generated__/", "node_modules/", ".tools/"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      // type-graphql resolvers and decorated classes are instantiated by the framework.
      "@typescript-eslint/no-extraneous-class": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  // Layers import one way: HTTP (server) → graphql → otp (use case, ports) ← providers.
  {
    files: ["src/otp/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: [
                "**/providers/**",
                "**/graphql/**",
                "**/server/**",
                "**/server.js",
                "**/config.js",
                "**/log.js",
              ],
              message:
                "The use case (src/otp/) imports no outer layer: providers implement its ports (otp/ports.ts).",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["src/providers/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/graphql/**", "**/server/**", "**/server.js", "**/config.js", "**/log.js"],
              message:
                "Providers implement the use case's ports (src/otp/) and know nothing of the layers above it.",
            },
          ],
        },
      ],
    },
  },
  { files: ["**/*.js"], extends: [tseslint.configs.disableTypeChecked] },
  prettier,
);
