import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import graphqlPlugin from "../../src/server/graphql.plugin.js";
import probesPlugin from "../../src/server/probes.plugin.js";

// The plugins declare what they read (fastify-plugin's `decorators` and `dependencies`): registered without it,
// fastify refuses them at start, rather than a request failing later on a missing decorator.
describe("server plugins declare what they read", () => {
  it("refuses the GraphQL plugin without the otp plugin's decorators", async () => {
    const fastify = Fastify();
    const options = { config: loadConfig({}), logger: createLogger("silent") };
    await expect(async () => {
      await fastify.register(graphqlPlugin, options);
    }).rejects.toThrow("The decorator 'otp' required by 'graphql' is not present in Fastify");
    await fastify.close();
  });

  it("refuses the probes without the drain plugin, even when its decorators are there", async () => {
    const bare = Fastify();
    await expect(async () => {
      await bare.register(probesPlugin);
    }).rejects.toThrow("The decorator 'draining' required by 'probes' is not present in Fastify");
    await bare.close();
    const decorated = Fastify();
    decorated.decorate("draining", false);
    decorated.decorate("store", {} as never);
    await expect(async () => {
      await decorated.register(probesPlugin);
    }).rejects.toThrow("The dependency 'drain' of plugin 'probes' is not registered");
    await decorated.close();
  });
});
