import { randomBytes } from "node:crypto";
import type { Challenge, OtpFailure, OtpOutcome, OutcomeKind, ProviderId } from "./model.js";
import type { ProviderAdapter } from "./ports.js";
import {
  CHALLENGE_TTL_SECONDS,
  StoreSaturatedError,
  StoreUnavailableError,
  type OtpStore,
} from "./store/store.js";
import { Idempotency, idempotencyKeyErrors, type Attempt } from "./idempotency.js";
import { LocalLimits, localRefusal, SINGLE_USE_LIMIT, type LimitPolicy } from "./limits.js";
import { StateKeys } from "./store/state-keys.js";

/**
 * The members of `RequestOtpInput` as the use case sees them: one member set (graphql-js enforces `@oneOf` before
 * the use case runs), holding that provider's input as it arrived (type-checked, not yet validated).
 */
export type RequestOtpInput = Readonly<Record<string, unknown>>;

/** A provider the schema offers: the `RequestOtpInput` member that selects it. */
export interface ProviderMember {
  id: ProviderId;
  inputMember: string;
}

export interface OtpServiceOptions {
  /** Every provider the schema offers; one whose adapter is missing answers "not configured". */
  providers: readonly ProviderMember[];
  /** The adapters this deployment has (the providers with settings). */
  adapters: readonly ProviderAdapter[];
  store: OtpStore;
  /** Sandbox mode: the only mode in which `devOtp` leaves this service. */
  sandbox: boolean;
  /** Cooldown and hourly caps, checked after validation and before any upstream call. */
  limits: LimitPolicy;
  /** The HMAC secret for store keys and input fingerprints; replicas sharing a store share it. */
  stateKeys?: StateKeys;
  /** How long a first request holds its idempotency key (longer than a send can take). */
  idempotencyLeaseSeconds?: number;
  /**
   * Called when the store failed after an OTP was sent: the caller is still told it was sent (a second send
   * would be a second SMS), but the challenge or the idempotency record may be missing.
   */
  onStateError?: (error: StoreUnavailableError, step: "saveChallenge" | "completeIdempotency") => void;
  /** Called once per `requestOtp`, however it ended (its one log line and the request counter). */
  observe?: (observation: RequestOtpObservation) => void;
  /** Called when a send was refused because the store is full of live state (it forgets none to make room). */
  onSaturated?: (error: StoreSaturatedError) => void;
  now?: () => Date;
}

/** What one `requestOtp` call did. Nothing in it is secret: the destination is masked. */
export interface RequestOtpObservation {
  requestId: string | null;
  provider: ProviderId;
  /** The `RequestOtpResult` member answered, or `error` when the call rejected. */
  result: OutcomeKind | "error";
  providerCode: string | null;
  /** Milliseconds in the adapter's upstream call; null when none was made. */
  upstreamMs: number | null;
  destinationHint: string | null;
  challengeId: string | null;
}

/** Filled in as one call goes; read once at its end. */
interface Trace {
  destinationHint: string | null;
  upstreamMs: number | null;
}

/** What the transport knows about the caller. */
export interface RequestContext {
  clientIp: string | null;
  idempotencyKey: string | null;
  /** The transport's id of the request, for the observation; null when there is none. */
  requestId?: string | null;
}

/**
 * The use case: validate, then ask the provider, then describe the challenge. Knows nothing of GraphQL.
 */
export class OtpService {
  readonly #options: OtpServiceOptions;
  readonly #now: () => Date;
  readonly #limits: LocalLimits;
  readonly #idempotency: Idempotency;
  readonly #providerOf: ReadonlyMap<string, ProviderId>;
  readonly #adapters: ReadonlyMap<ProviderId, ProviderAdapter>;

  constructor(options: OtpServiceOptions) {
    this.#options = options;
    this.#providerOf = new Map(options.providers.map(({ id, inputMember }) => [inputMember, id]));
    this.#adapters = new Map(options.adapters.map((adapter) => [adapter.id, adapter]));
    this.#now = options.now ?? (() => new Date());
    const keys = options.stateKeys ?? StateKeys.random();
    this.#limits = new LocalLimits(options.limits, options.store, keys);
    this.#idempotency = new Idempotency({
      store: options.store,
      keys,
      leaseSeconds: options.idempotencyLeaseSeconds ?? 30,
      onStateError: (error) => options.onStateError?.(error, "completeIdempotency"),
    });
  }

  /**
   * Validate (every failing field, the idempotency key included), then, once per idempotency key: the local
   * limits, the provider, the challenge. Rejects with `StoreUnavailableError` when the state store is away:
   * no OTP is sent while the limits cannot be checked.
   */
  async requestOtp(input: RequestOtpInput, context: RequestContext): Promise<OtpOutcome> {
    const [member, provider] = this.#selected(input);
    const trace: Trace = { destinationHint: null, upstreamMs: null };
    try {
      const outcome = await this.#requestOtp(provider, input[member], context, trace);
      this.#options.observe?.(observation(provider, outcome, trace, context));
      return outcome;
    } catch (error) {
      this.#options.observe?.(observation(provider, null, trace, context));
      throw error;
    }
  }

  async #requestOtp(
    provider: ProviderId,
    input: unknown,
    context: RequestContext,
    trace: Trace,
  ): Promise<OtpOutcome> {
    const adapter = this.#adapters.get(provider);
    if (!adapter) return notConfigured(provider);

    const parsed = adapter.parse(input);
    const { idempotencyKey } = context;
    const keyErrors = idempotencyKey === null ? [] : idempotencyKeyErrors(idempotencyKey);
    if (!parsed.ok || keyErrors.length > 0) {
      return {
        kind: "InvalidInput",
        provider,
        providerCode: null,
        retryable: false,
        message: "Some fields are not valid.",
        fieldErrors: [...(parsed.ok ? [] : parsed.fieldErrors), ...keyErrors],
      };
    }

    const attempt = () => this.#attempt(provider, adapter, parsed.value, context.clientIp, trace);
    try {
      if (idempotencyKey === null) return (await attempt()).outcome;
      return await this.#idempotency.once(provider, idempotencyKey, parsed.value, attempt);
    } catch (error) {
      // Full of live state, the store keeps it and this send is refused: fail closed, with a typed answer.
      if (!(error instanceof StoreSaturatedError)) throw error;
      this.#options.onSaturated?.(error);
      return localRefusal(provider, "saturated", error.retryAfterMs);
    }
  }

  /** The one member that is set, and its provider; graphql-js has already refused zero or two. */
  #selected(input: RequestOtpInput): [member: string, provider: ProviderId] {
    const set = Object.keys(input).filter((member) => input[member] != null);
    const [member] = set;
    const provider = member === undefined ? undefined : this.#providerOf.get(member);
    if (member === undefined || provider === undefined || set.length > 1) {
      throw new TypeError("RequestOtpInput must have exactly one member of a known provider set");
    }
    return [member, provider];
  }

  /** One send: the local limits, then the provider, then the saved challenge. */
  async #attempt(
    provider: ProviderId,
    adapter: ProviderAdapter,
    request: unknown,
    clientIp: string | null,
    trace: Trace,
  ): Promise<Attempt> {
    const destination = adapter.destination(request);
    trace.destinationHint = destination.hint;
    const singleUse = adapter.singleUse?.(request) ?? null;
    const limited = await this.#limits.consume({
      provider,
      destination: destination.key,
      device: adapter.device(request),
      clientIp,
      singleUse,
    });
    if (limited !== null && limited !== SINGLE_USE_LIMIT) return { outcome: limited, final: false };
    // A single-use value seen again (DMT's reference number): the input must change, so it is InvalidInput.
    if (limited === SINGLE_USE_LIMIT && singleUse) {
      const { field, message } = singleUse;
      const outcome: OtpOutcome = {
        kind: "InvalidInput",
        provider,
        providerCode: null,
        retryable: false,
        message,
        fieldErrors: [{ field, message }],
      };
      return { outcome, final: false };
    }

    const sendStarted = performance.now();
    const result = await adapter.send(request);
    trace.upstreamMs = Math.round(performance.now() - sendStarted);
    if (result.kind !== "sent") {
      // A request that never reached the provider is not the key's answer: retrying the key may send.
      const { notSent, ...outcome } = result;
      return { outcome, final: !notSent };
    }

    const sentAt = this.#now();
    const resendGap = Math.max(this.#options.limits.cooldownSeconds, result.resendGapSeconds ?? 0);
    const challenge: Challenge = {
      id: newChallengeId(),
      provider,
      destinationHint: destination.hint,
      sentAt,
      expiresAt: result.validForSeconds === null ? null : addSeconds(sentAt, result.validForSeconds),
      resendAvailableAt: addSeconds(sentAt, resendGap),
      attemptsAllowed: result.attemptsAllowed,
      providerMessage: result.providerMessage,
      providerReference: result.providerReference,
    };
    await this.#options.store.saveChallenge(challenge, CHALLENGE_TTL_SECONDS).catch((error: unknown) => {
      if (!(error instanceof StoreUnavailableError)) throw error;
      this.#options.onStateError?.(error, "saveChallenge");
    });
    return {
      outcome: { kind: "OtpSent", challenge, devOtp: this.#options.sandbox ? result.devOtp : null },
      final: true,
    };
  }
}

/** The answer for a provider that has no settings in this deployment. */
function notConfigured(provider: ProviderId): OtpFailure {
  return {
    kind: "ProviderUnavailable",
    provider,
    providerCode: null,
    retryable: false,
    retryAfterSeconds: null,
    message: `${provider} is not configured on this server.`,
  };
}

/** The observation of a call that ended with `outcome`, or rejected (`null`). */
function observation(
  provider: ProviderId,
  outcome: OtpOutcome | null,
  trace: Trace,
  context: RequestContext,
): RequestOtpObservation {
  const sent = outcome?.kind === "OtpSent" ? outcome.challenge : null;
  return {
    requestId: context.requestId ?? null,
    provider,
    result: outcome?.kind ?? "error",
    providerCode: outcome && outcome.kind !== "OtpSent" ? outcome.providerCode : null,
    upstreamMs: trace.upstreamMs,
    destinationHint: sent?.destinationHint ?? trace.destinationHint,
    challengeId: sent?.id ?? null,
  };
}

/** 144 random bits, URL-safe. */
function newChallengeId(): string {
  return randomBytes(18).toString("base64url");
}

function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}
