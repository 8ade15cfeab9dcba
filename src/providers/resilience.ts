import {
  BrokenCircuitError,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhenResult,
} from "cockatiel";

/** How one provider is protected; the same for every provider, each with its own breaker and cap. */
export interface ResilienceSettings {
  /** Consecutive failed calls that open the breaker. */
  breakerFailures: number;
  /** How long an open breaker refuses calls before it lets one trial call through (half-open). */
  breakerHalfOpenMs: number;
  /** Calls to the provider at once; past it, a call is refused at once. */
  maxInFlight: number;
}

/** The breaker's state, as metrics and logs name it. */
export type BreakerState = "closed" | "open" | "halfOpen";

/** Why a call was refused without reaching the provider. */
export type RefusalReason = "circuitOpen" | "inFlightCap";

/** A call the policy refused: nothing was sent. */
export interface Refusal {
  refused: RefusalReason;
  /** When it is worth trying again. */
  retryAfterSeconds: number;
}

/** What a policy reports as it works (metrics, logs). */
export interface PolicyObserver {
  breakerChanged?(state: BreakerState): void;
  inFlightChanged?(count: number): void;
  refused?(reason: RefusalReason): void;
}

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: "closed",
  [CircuitState.Open]: "open",
  [CircuitState.HalfOpen]: "halfOpen",
  [CircuitState.Isolated]: "open",
};

/**
 * One provider's circuit breaker (cockatiel, consecutive failures) and in-flight cap. A call is refused at once,
 * without reaching the provider, while the breaker is open, while its one half-open trial call is running, and
 * when `maxInFlight` calls are already running. The cap is a count kept here (cockatiel's bulkhead would add two
 * promise layers to every call for the same test).
 */
export class ProviderPolicy<T> {
  readonly #settings: ResilienceSettings;
  readonly #observer: PolicyObserver;
  readonly #breaker: CircuitBreakerPolicy;
  readonly #refused: (refusal: Refusal) => T;
  #openedAt = 0;
  #inFlight = 0;

  /**
   * `isFailure` says which results count against the provider (outages, not answers the user caused); `refused`
   * makes the answer to a call refused without calling.
   */
  constructor(
    settings: ResilienceSettings,
    isFailure: (result: T) => boolean,
    refused: (refusal: Refusal) => T,
    observer: PolicyObserver = {},
  ) {
    this.#settings = settings;
    this.#observer = observer;
    this.#refused = refused;
    this.#breaker = circuitBreaker(
      handleWhenResult((result) => isFailure(result as T)),
      {
        halfOpenAfter: settings.breakerHalfOpenMs,
        breaker: new ConsecutiveBreaker(settings.breakerFailures),
      },
    );
    this.#breaker.onBreak(() => {
      this.#openedAt = Date.now();
    });
    this.#breaker.onStateChange((state) => observer.breakerChanged?.(STATE_NAMES[state]));
    observer.breakerChanged?.("closed");
    observer.inFlightChanged?.(0);
  }

  /** Run `call` under the breaker and the cap, or answer `refused(...)` without calling. */
  async run(call: () => Promise<T>): Promise<T> {
    // cockatiel queues callers behind a half-open trial; refusing them keeps "at once" true.
    if (this.#breaker.state === CircuitState.HalfOpen) return this.#refuse("circuitOpen", 1);
    if (this.#inFlight >= this.#settings.maxInFlight) return this.#refuse("inFlightCap", 1);
    try {
      // The breaker calls `call` at once (in this tick), so the count is up before any other call is checked.
      return await this.#breaker.execute(() => this.#counted(call));
    } catch (error) {
      if (!(error instanceof BrokenCircuitError)) throw error;
      const remainingMs = this.#openedAt + this.#settings.breakerHalfOpenMs - Date.now();
      return this.#refuse("circuitOpen", Math.max(1, Math.ceil(remainingMs / 1000)));
    }
  }

  #counted(call: () => Promise<T>): Promise<T> {
    const observer = this.#observer;
    observer.inFlightChanged?.(++this.#inFlight);
    const settled = () => observer.inFlightChanged?.(--this.#inFlight);
    return call().then(
      (result) => {
        settled();
        return result;
      },
      (error: unknown) => {
        settled();
        throw error;
      },
    );
  }

  #refuse(reason: RefusalReason, retryAfterSeconds: number): T {
    this.#observer.refused?.(reason);
    return this.#refused({ refused: reason, retryAfterSeconds });
  }
}
