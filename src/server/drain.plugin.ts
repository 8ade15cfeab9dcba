/**
 * Graceful shutdown: once closing, finished requests close their connections instead of keeping them alive, and
 * past the deadline the requests still running lose theirs so the process can exit. Decorates `draining`.
 */
import type { FastifyPluginAsync } from "fastify";
import { fastifyPlugin } from "fastify-plugin";

declare module "fastify" {
  interface FastifyInstance {
    /** True once the instance is closing (readiness answers 503). */
    readonly draining: boolean;
  }
}

export interface DrainPluginOptions {
  /** How long in-flight requests may take once closing, in milliseconds. */
  deadlineMs: number;
}

const drainPlugin: FastifyPluginAsync<DrainPluginOptions> = (fastify, { deadlineMs }) => {
  let draining = false;
  let deadline: NodeJS.Timeout | undefined;
  fastify.decorate("draining", { getter: () => draining });
  fastify.addHook("onSend", (_request, reply, _payload, done) => {
    if (draining) reply.header("connection", "close");
    done();
  });
  fastify.addHook("preClose", (done) => {
    draining = true;
    deadline = setTimeout(() => {
      fastify.log.warn({ deadlineMs }, "shutdown deadline reached, closing connections");
      fastify.server.closeAllConnections();
    }, deadlineMs);
    done();
  });
  fastify.addHook("onClose", (_instance, done) => {
    clearTimeout(deadline);
    done();
  });
  return Promise.resolve();
};

export default fastifyPlugin(drainPlugin, { name: "drain" });
