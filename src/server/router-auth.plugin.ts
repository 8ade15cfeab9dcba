/**
 * With a router secret, `/graphql` answers 401 unless the `Router-Authorization` header carries it, or the previous
 * secret while a rotation is under way (`ROUTER_SECRET_PREVIOUS`).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyPluginAsync } from "fastify";
import { fastifyPlugin } from "fastify-plugin";

/** Which secret a request carried, for `otp_router_auth_total`; `refused`: neither (401). */
export type RouterAuthResult = "current" | "previous" | "refused";

export interface RouterAuthOptions {
  /** The secret the router sends; null: no check. */
  secret: string | null;
  /** Also accepted, while the router moves from it to `secret`; null: none. */
  previous?: string | null;
  /** Told which secret each checked request used. */
  onChecked?: (result: RouterAuthResult) => void;
}

const routerAuthPlugin: FastifyPluginAsync<RouterAuthOptions> = (
  fastify,
  { secret, previous = null, onChecked },
) => {
  if (secret === null) return Promise.resolve();
  const current = digest(secret);
  // Without a previous secret, the header is still compared twice, so a request takes the same time either way.
  const before = digest(previous ?? secret);
  const result = (given: unknown): RouterAuthResult => {
    if (typeof given !== "string") return "refused";
    const presented = digest(given);
    // Both comparisons always run (no early exit): the time taken does not say which one matched.
    const isCurrent = timingSafeEqual(presented, current);
    const isPrevious = timingSafeEqual(presented, before) && previous !== null;
    return isCurrent ? "current" : isPrevious ? "previous" : "refused";
  };
  fastify.addHook("onRequest", async (request, reply) => {
    // Probes and metrics are for the platform, not the router.
    if (request.routeOptions.url !== "/graphql") return;
    const checked = result(request.headers["router-authorization"]);
    onChecked?.(checked);
    if (checked === "refused") {
      return reply
        .code(401)
        .send({ errors: [{ message: "Unauthorized", extensions: { code: "UNAUTHENTICATED" } }] });
    }
  });
  return Promise.resolve();
};

/** Equal-length digests, so comparing a header with a secret takes the same time whatever it holds. */
function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

export default fastifyPlugin(routerAuthPlugin, { name: "router-auth" });
