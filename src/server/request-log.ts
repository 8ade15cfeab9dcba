import { LogController, type FastifyReply, type FastifyRequest } from "fastify";

/**
 * Fastify's own lines for each request at `debug` (at `info` the one line per request is `requestOtp`), under
 * the label `requestId`; request errors stay at `error`.
 */
export class RequestLogController extends LogController {
  constructor() {
    super({ requestIdLogLabel: "requestId" });
  }

  override incomingRequest(request: FastifyRequest): void {
    // The route, not the URL: a GET's query string may carry GraphQL variables.
    request.log.debug({ method: request.method, route: request.routeOptions.url }, "incoming request");
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) super.requestCompleted(error, request, reply);
    else
      reply.log.debug(
        { statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) },
        "request completed",
      );
  }
}
