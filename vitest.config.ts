import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

/**
 * Unit tests: pure functions and modules, no server, no redis-server, no child process (`npm run test:unit`,
 * seconds). Everything else is an integration test: real loopback servers, fastify, redis-server, the gateway.
 */
const UNIT = [
  "test/config.test.ts",
  "test/docs.test.ts",
  "test/graphql/schema.test.ts",
  "test/observability/redact-line.test.ts",
  "test/otp/**/*.test.ts",
  "test/providers/registry.test.ts",
  "test/state/config.test.ts",
];

export default defineConfig({
  resolve: {
    // type-graphql and @apollo load graphql's CJS build; make vitest use the same realm.
    alias: { graphql: require.resolve("graphql/index.js") },
  },
  test: {
    reporters: ["default", "./test/summary-reporter.ts"],
    setupFiles: ["test/setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      // One module graph per worker (isolate: false): the unit files are pure, and importing the registry
      // (type-graphql) once rather than once per file is most of their time.
      { extends: true, test: { name: "unit", include: UNIT, isolate: false } },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          exclude: UNIT,
          // A real redis-server for the Redis store tests (a missing one fails the run under CI=true).
          globalSetup: ["test/global-setup.ts"],
        },
      },
    ],
  },
});
