/** Upstream spans: the span hook of one provider's HTTP client (host and port, method, status or fault, duration). */
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { ProviderId } from "../otp/model.js";
import type { UpstreamTracer } from "../providers/http-client.js";
import type { SpanScope } from "./scope.js";

export function upstreamTracer(scope: SpanScope, provider: ProviderId): UpstreamTracer {
  return {
    start: (method, url) => {
      const context = scope.current();
      if (!context) return undefined;
      const { hostname, port, protocol } = new URL(url);
      const span = scope.tracer.startSpan(
        method,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            "otp.provider": provider,
            "http.request.method": method,
            "server.address": hostname,
            "server.port": port === "" ? (protocol === "https:" ? 443 : 80) : Number(port),
          },
        },
        context,
      );
      return (result) => {
        span.setAttribute("otp.upstream.duration_ms", result.ms);
        if (result.status !== null) span.setAttribute("http.response.status_code", result.status);
        if (!result.ok) {
          span.setAttributes({ "otp.upstream.fault": result.fault, "error.type": result.fault });
          if (result.notSent) span.setAttribute("otp.upstream.not_sent", true);
          span.setStatus({ code: SpanStatusCode.ERROR, message: result.fault });
        } else if (result.status >= 500) {
          span.setAttribute("error.type", String(result.status));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      };
    },
  };
}
