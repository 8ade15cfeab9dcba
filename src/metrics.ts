import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { OutcomeKind, ProviderId } from "./otp/model.js";
import type { RequestOtpObservation } from "./otp/otp-service.js";
import type { MemoryStoreUsage } from "./otp/store/memory.js";
import type { UpstreamObserver } from "./providers/http-client.js";
import type { BreakerState } from "./providers/resilience.js";

/** The breaker state as a number, for `otp_provider_breaker_state`. */
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, open: 1, halfOpen: 2 };

/**
 * The service's Prometheus metrics, in a registry of its own. Labels are bounded and hold nothing personal:
 * a provider id, a result member name, an exchange outcome or a refusal reason.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #requests = new Counter({
    name: "otp_requests_total",
    help: "requestOtp calls, by provider and by the RequestOtpResult member answered (`error` when it threw).",
    labelNames: ["provider", "result"] as const,
    registers: [this.registry],
  });
  readonly #upstreamSeconds = new Histogram({
    name: "otp_upstream_duration_seconds",
    help: "One exchange with a provider, connection to last body byte (its one retry included), by outcome.",
    labelNames: ["provider", "outcome"] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16],
    registers: [this.registry],
  });
  readonly #graphqlSeconds = new Histogram({
    name: "otp_http_request_duration_seconds",
    help: "HTTP requests to /graphql, first byte in to response sent, by method (GET, POST, other) and status class (2xx, 4xx, 5xx).",
    labelNames: ["method", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  /** Each provider's calls running now, read into the gauge when scraped (not set twice on every call). */
  readonly #inFlightNow = new Map<ProviderId, number>();
  readonly #inFlight: Gauge<"provider"> = new Gauge({
    name: "otp_upstream_in_flight",
    help: "Calls to a provider running now.",
    labelNames: ["provider"] as const,
    registers: [this.registry],
    collect: () => {
      for (const [provider, count] of this.#inFlightNow) this.#inFlight.set({ provider }, count);
    },
  });
  readonly #breaker = new Gauge({
    name: "otp_provider_breaker_state",
    help: "A provider's circuit breaker: 0 closed, 1 open, 2 half-open.",
    labelNames: ["provider"] as const,
    registers: [this.registry],
  });
  readonly #refused = new Counter({
    name: "otp_upstream_refused_total",
    help: "Calls answered without calling the provider, by reason (circuitOpen, inFlightCap).",
    labelNames: ["provider", "reason"] as const,
    registers: [this.registry],
  });

  readonly #sends = new Counter({
    name: "otp_sends_total",
    help: "Sends that passed the local policy and were counted against its limits and budgets, by provider and country of a phone destination (`none` for other destinations).",
    labelNames: ["provider", "country"] as const,
    registers: [this.registry],
  });
  readonly #policyRefusals = new Counter({
    name: "otp_policy_refusals_total",
    help: "Sends the local policy refused before any upstream call, by provider, country (`none` for other destinations) and reason (a limit or budget, countryNotAllowed, numberType, humanVerification).",
    labelNames: ["provider", "country", "reason"] as const,
    registers: [this.registry],
  });
  readonly #undocumented = new Counter({
    name: "otp_upstream_undocumented_total",
    help: "Provider replies that matched no documented shape (each also logged as `undocumented reply`).",
    labelNames: ["provider"] as const,
    registers: [this.registry],
  });
  readonly #storeUp = new Gauge({
    name: "otp_store_up",
    help: "Whether the state store is connected: 1 yes, 0 no (sends are refused with SERVICE_UNAVAILABLE). Always 1 for memory.",
    registers: [this.registry],
  });
  readonly #unrecognised = new Counter({
    name: "otp_provider_unrecognised_total",
    help: "Replies mapped although a field held a value the provider's document does not list, by field.",
    labelNames: ["provider", "field"] as const,
    registers: [this.registry],
  });

  readonly #saturated = new Counter({
    name: "otp_store_saturated_total",
    help: "Sends refused (RateLimited, LOCAL_POLICY) because the state store was full of live state.",
    registers: [this.registry],
  });

  readonly #routerAuth = new Counter({
    name: "otp_router_auth_total",
    help: "Requests to /graphql checked against the router secret, by which one they carried: current (ROUTER_SECRET), previous (ROUTER_SECRET_PREVIOUS) or refused (401).",
    labelNames: ["secret"] as const,
    registers: [this.registry],
  });

  /** With `processMetrics`, also the prom-client defaults (memory, CPU, event loop lag, GC). */
  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** The state store's connection changed. */
  storeConnection(up: boolean): void {
    this.#storeUp.set(up ? 1 : 0);
  }

  /** Count one requestOtp call by its provider and result member. */
  requestOtp(provider: ProviderId, result: OutcomeKind | "error"): void {
    this.#requests.inc({ provider, result });
  }

  /** Count a send the local policy let through, or one it refused (and why). */
  policy(observation: RequestOtpObservation): void {
    const labels = { provider: observation.provider, country: observation.country ?? "none" };
    if (observation.counted) this.#sends.inc(labels);
    if (observation.refusedBy) this.#policyRefusals.inc({ ...labels, reason: observation.refusedBy });
  }

  /** Count one request checked against the router secret, by the secret it carried. */
  routerAuth(secret: "current" | "previous" | "refused"): void {
    this.#routerAuth.inc({ secret });
  }

  /** Count one send refused because the store was full. */
  storeSaturated(): void {
    this.#saturated.inc();
  }

  /** Expose how full the memory store is, read at every scrape. */
  memoryStore(usage: () => MemoryStoreUsage): void {
    const gauge = (name: string, help: string, read: (usage: MemoryStoreUsage) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read(usage()));
        },
      });
    gauge(
      "otp_memory_store_bytes",
      "Heap the memory store's entries take (counted from above).",
      (u) => u.usedBytes,
    );
    gauge("otp_memory_store_max_bytes", "The memory store's bound (OTP_MEMORY_MAX_MB).", (u) => u.maxBytes);
  }

  /** The observer one provider's (or the human verifier's) HTTP client reports to. */
  upstream(provider: ProviderId): UpstreamObserver {
    // The labels of each outcome, made once rather than on every call.
    const exchanges = {
      reply: { provider, outcome: "reply" },
      timeout: { provider, outcome: "timeout" },
      network: { provider, outcome: "network" },
      tooLarge: { provider, outcome: "tooLarge" },
    };
    return {
      exchanged: (outcome, ms) => {
        this.#upstreamSeconds.observe(exchanges[outcome], ms / 1000);
      },
      breakerChanged: (state) => {
        this.#breaker.set({ provider }, BREAKER_STATE_VALUE[state]);
      },
      inFlightChanged: (count) => {
        this.#inFlightNow.set(provider, count);
      },
      refused: (reason) => {
        this.#refused.inc({ provider, reason });
      },
      undocumented: () => {
        this.#undocumented.inc({ provider });
      },
      unrecognised: (field) => {
        this.#unrecognised.inc({ provider, field });
      },
    };
  }

  /** One HTTP request to /graphql answered: its method, status and time (labels from a fixed few values). */
  graphqlRequest(method: string, status: number, seconds: number): void {
    const known = method === "GET" || method === "POST" ? method : "other";
    this.#graphqlSeconds.observe({ method: known, status: `${String(Math.floor(status / 100))}xx` }, seconds);
  }

  /** The Prometheus text exposition. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
