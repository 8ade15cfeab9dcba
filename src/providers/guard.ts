/**
 * The breaker hook of a client: one provider's circuit breaker and in-flight cap ({@link ProviderPolicy}) around
 * its exchanges, with what counts as an outage, a refusal answered as a fault, and the breaker's changes logged.
 */
import type { ProviderId } from "../otp/model.js";
import type { UpstreamLogger, UpstreamObserver, UpstreamResult } from "./http-types.js";
import { ProviderPolicy, type BreakerState, type Refusal, type ResilienceSettings } from "./resilience.js";

/** Runs one exchange under the hook, or answers without running it. */
export type Guard = (exchange: () => Promise<UpstreamResult>) => Promise<UpstreamResult>;

export interface GuardOptions {
  provider?: ProviderId | undefined;
  observer?: UpstreamObserver | undefined;
  logger?: UpstreamLogger | undefined;
}

/** The breaker and in-flight cap of one provider's client. */
export function providerGuard(settings: ResilienceSettings, options: GuardOptions): Guard {
  const { observer, logger, provider } = options;
  let last: BreakerState = "closed";
  const policy = new ProviderPolicy<UpstreamResult>(settings, isOutage, refusedFault, {
    breakerChanged: (state) => {
      if (state !== last) logger?.warn({ provider, breaker: state, previous: last }, "circuit breaker");
      last = state;
      observer?.breakerChanged?.(state);
    },
    inFlightChanged: (count) => observer?.inFlightChanged?.(count),
    refused: (reason) => observer?.refused?.(reason),
  });
  return (exchange) => policy.run(exchange);
}

/** What counts against a provider's breaker: it could not be heard, or it answered with a server error. */
export function isOutage(result: UpstreamResult): boolean {
  if (result.ok) return result.status >= 500 || result.outage === true;
  return result.fault === "timeout" || result.fault === "network";
}

/** A call the breaker or the cap refused: nothing was sent. */
function refusedFault({ refused, retryAfterSeconds }: Refusal): UpstreamResult {
  return { ok: false, fault: refused, status: null, ms: 0, retryAfterSeconds, notSent: true };
}
