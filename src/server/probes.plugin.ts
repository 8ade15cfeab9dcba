/** `/healthz` (the process answers) and `/readyz` (not draining, and the state store answers). */
import type { FastifyPluginAsync } from "fastify";
import { fastifyPlugin } from "fastify-plugin";

const probesPlugin: FastifyPluginAsync = (fastify) => {
  fastify.get("/healthz", () => ({ status: "ok" }));
  fastify.get("/readyz", async (_request, reply) => {
    if (fastify.draining) return reply.code(503).send({ status: "shutting down" });
    if (!(await fastify.store.ping())) return reply.code(503).send({ status: "store unreachable" });
    return { status: "ready" };
  });
  return Promise.resolve();
};

/** Reads whether the instance drains (the drain plugin's) and the store (the otp plugin's). */
export default fastifyPlugin(probesPlugin, {
  name: "probes",
  decorators: { fastify: ["draining", "store"] },
  dependencies: ["drain", "otp"],
  encapsulate: true,
});
