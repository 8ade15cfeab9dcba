/** With a router secret, `/graphql` answers 401 unless the `Router-Authorization` header carries it. */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyPluginAsync } from "fastify";
import { fastifyPlugin } from "fastify-plugin";

export interface RouterAuthOptions {
  /** The secret the router sends; null: no check. */
  secret: string | null;
}

const routerAuthPlugin: FastifyPluginAsync<RouterAuthOptions> = (fastify, { secret }) => {
  if (secret === null) return Promise.resolve();
  const expected = digest(secret);
  fastify.addHook("onRequest", async (request, reply) => {
    // Probes and metrics are for the platform, not the router.
    if (request.routeOptions.url !== "/graphql") return;
    const given = request.headers["router-authorization"];
    if (typeof given !== "string" || !timingSafeEqual(digest(given), expected)) {
      return reply
        .code(401)
        .send({ errors: [{ message: "Unauthorized", extensions: { code: "UNAUTHENTICATED" } }] });
    }
  });
  return Promise.resolve();
};

/** Equal-length digests, so comparing a header with the secret takes the same time whatever it holds. */
function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

export default fastifyPlugin(routerAuthPlugin, { name: "router-auth" });
