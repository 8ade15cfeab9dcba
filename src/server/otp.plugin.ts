/**
 * The use case, as fastify sees it: decorates the instance with `otp` (what resolvers call) and `store` (what the
 * readiness probe pings) from the composed service (`src/compose.ts`), and releases the service on close.
 */
import type { FastifyPluginAsync } from "fastify";
import { fastifyPlugin } from "fastify-plugin";
import type { Composition } from "../compose.js";
import type { OtpStore } from "../otp/store/store.js";

declare module "fastify" {
  interface FastifyInstance {
    /** What resolvers call: the use case, in a span of its own when tracing is on. */
    otp: Composition["otp"];
    store: OtpStore;
  }
}

export interface OtpPluginOptions {
  service: Composition;
}

const otpPlugin: FastifyPluginAsync<OtpPluginOptions> = (fastify, { service }) => {
  fastify.decorate("otp", service.otp);
  fastify.decorate("store", service.store);
  fastify.addHook("onClose", () => service.close());
  return Promise.resolve();
};

export default fastifyPlugin(otpPlugin, { name: "otp" });
