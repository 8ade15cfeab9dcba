/** `/metrics`: the Prometheus text exposition. */
import type { FastifyPluginAsync } from "fastify";
import { fastifyPlugin } from "fastify-plugin";
import type { Metrics } from "../metrics.js";

const metricsPlugin: FastifyPluginAsync<{ metrics: Metrics }> = (fastify, { metrics }) => {
  fastify.get("/metrics", async (_request, reply) =>
    reply.type(metrics.contentType).send(await metrics.text()),
  );
  return Promise.resolve();
};

export default fastifyPlugin(metricsPlugin, { name: "metrics", encapsulate: true });
