import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // type-graphql and @apollo load graphql's CJS build; make vitest use the same realm.
    alias: { graphql: require.resolve("graphql/index.js") },
  },
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", "./test/summary-reporter.ts"],
    setupFiles: ["test/setup.ts"],
    // A real redis-server for the Redis store tests (a missing one fails the run under CI=true).
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
