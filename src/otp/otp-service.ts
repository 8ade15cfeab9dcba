import { randomBytes } from "node:crypto";
import type { Challenge, FieldError, OtpFailure, OtpOutcome, OutcomeKind, ProviderId } from "./model.js";
import type { Destination, ProviderAdapter, ProviderAdapters, ProviderRequest, SingleUse } from "./ports.js";
import {
  CHALLENGE_TTL_SECONDS,
  StoreSaturatedError,
  StoreUnavailableError,
  type OtpStore,
} from "./store/store.js";
import { Idempotency, idempotencyKeyErrors, type Attempt } from "./idempotency.js";
import {
  destinationId,
  LocalLimits,
  localRefusal,
  type BudgetReached,
  type LimitPolicy,
  type RefusingLimit,
  type SendSubject,
} from "./limits.js";
import { StateKeys } from "./store/state-keys.js";
import { DEFAULT_PHONE_POLICY, judgePhone, type PhonePolicy } from "./phone-policy.js";
import {
  DEFAULT_VERIFIER_PER_IP_PER_MINUTE,
  MAX_HUMAN_PROOF_LENGTH,
  proofNeeded,
  type HumanVerificationPolicy,
  type HumanVerificationReason,
} from "./human-verification.js";

export interface OtpServiceOptions {
  /** The adapters this deployment has, by provider id; a provider without one answers "not configured". */
  adapters: ProviderAdapters;
  store: OtpStore;
  /** Sandbox mode: the only mode in which `devOtp` leaves this service. */
  sandbox: boolean;
  /** Cooldown, hourly caps and budgets, checked after validation and before any upstream call. */
  limits: LimitPolicy;
  /** Which phone destinations may receive an OTP; the contract's defaults when absent. */
  phonePolicy?: PhonePolicy;
  /** Step-up human verification; off when absent. */
  humanVerification?: HumanVerificationPolicy;
  /** Told once per window when a global budget (per provider, per country) refuses sends. */
  onBudgetReached?: (reached: BudgetReached) => void;
  /** Told when the human verifier could not be asked and the send went on (`failOpen`). */
  onVerifierUnavailable?: (provider: ProviderId) => void;
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
  /** The country of a phone destination, from the number itself; null for other destinations. */
  country: string | null;
  /**
   * Whether the send passed the local limits and stayed counted (whatever the provider then answered; not when
   * it never reached the provider and its counts were given back).
   */
  counted: boolean;
  /** The local policy that refused the send (a limit's name, `countryNotAllowed`, `numberType`, `humanVerification`). */
  refusedBy: PolicyRefusal | null;
}

/** Why the local policy refused a send, as metrics and the log line name it. */
export type PolicyRefusal =
  RefusingLimit | "saturated" | "countryNotAllowed" | "numberType" | "humanVerification";

/** Who one send goes to and comes from, with the single-use value whose refusal names its input field. */
type Subject = SendSubject & { singleUse: SingleUse | null };

/** Filled in as one call goes; read once at its end. */
interface Trace {
  destinationHint: string | null;
  upstreamMs: number | null;
  country: string | null;
  counted: boolean;
  refusedBy: PolicyRefusal | null;
}

/** What the transport knows about the caller. */
export interface RequestContext {
  clientIp: string | null;
  idempotencyKey: string | null;
  /** The transport's id of the request, for the observation; null when there is none. */
  requestId?: string | null;
  /** The human verifier's token from the frontend's widget, when it showed one. */
  humanProof?: string | null;
}

/**
 * The use case: validate, then ask the provider, then describe the challenge. Knows nothing of GraphQL.
 */
export class OtpService {
  readonly #options: OtpServiceOptions;
  readonly #now: () => Date;
  readonly #limits: LocalLimits;
  readonly #idempotency: Idempotency;
  readonly #adapters: ProviderAdapters;

  constructor(options: OtpServiceOptions) {
    this.#options = options;
    this.#adapters = options.adapters;
    this.#now = options.now ?? (() => new Date());
    const keys = options.stateKeys ?? StateKeys.random();
    const humanVerification = options.humanVerification;
    this.#limits = new LocalLimits(options.limits, options.store, keys, {
      keepActivity: humanVerification?.mode === "adaptive" ? humanVerification.after : 0,
      now: () => this.#now().getTime(),
      ...(options.onBudgetReached && { onBudgetReached: options.onBudgetReached }),
    });
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
  async requestOtp({ provider, input }: ProviderRequest, context: RequestContext): Promise<OtpOutcome> {
    const trace: Trace = {
      destinationHint: null,
      upstreamMs: null,
      country: null,
      counted: false,
      refusedBy: null,
    };
    try {
      const outcome = await this.#requestOtp(provider, input, context, trace);
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
    const humanProof = context.humanProof ?? null;
    const keyErrors = [
      ...(idempotencyKey === null ? [] : idempotencyKeyErrors(idempotencyKey)),
      ...humanProofErrors(humanProof),
    ];
    if (!parsed.ok || keyErrors.length > 0) {
      return invalidInput(provider, [...(parsed.ok ? [] : parsed.fieldErrors), ...keyErrors]);
    }

    const destination = adapter.destination(parsed.value);
    trace.destinationHint = destination.hint;
    const refusal = this.#phoneRefusal(provider, destination, trace);
    if (refusal) return refusal;

    const subject: Subject = {
      provider,
      destination: destination.key,
      phone: destination.phone?.e164 ?? null,
      country: trace.country,
      device: adapter.device(parsed.value),
      clientIp: context.clientIp,
      singleUse: adapter.singleUse?.(parsed.value) ?? null,
    };
    const attempt = () => this.#attempt(adapter, parsed.value, subject, humanProof, trace);
    try {
      if (idempotencyKey === null) return (await attempt()).outcome;
      return await this.#idempotency.once(
        {
          provider,
          idempotencyKey,
          scope: destinationId(subject),
          request: parsed.value,
          beforeWait: () => this.#countWait(subject, trace),
        },
        attempt,
      );
    } catch (error) {
      // Full of live state, the store keeps it and this send is refused: fail closed, with a typed answer.
      if (!(error instanceof StoreSaturatedError)) throw error;
      this.#options.onSaturated?.(error);
      trace.refusedBy = "saturated";
      return localRefusal(provider, "saturated", error.retryAfterMs);
    }
  }

  /** A duplicate about to wait for its key's first request: counted against the IP cap, or refused by it. */
  async #countWait(subject: Subject, trace: Trace): Promise<OtpOutcome | null> {
    const limited = await this.#limits.consume(subject, "wait");
    if (limited.kind !== "refused") return null;
    trace.refusedBy = limited.limit;
    return limited.outcome;
  }

  /** The phone policy (country, number type): a refusal is the user's to fix, so `InvalidInput`. */
  #phoneRefusal(provider: ProviderId, destination: Destination, trace: Trace): OtpOutcome | null {
    if (!destination.phone) return null;
    const verdict = judgePhone(destination.phone.e164, this.#options.phonePolicy ?? DEFAULT_PHONE_POLICY);
    trace.country = verdict.country;
    if (!verdict.refusal) return null;
    trace.refusedBy = verdict.refusal.reason === "country" ? "countryNotAllowed" : "numberType";
    return invalidInput(provider, [{ field: destination.phone.field, message: verdict.refusal.message }]);
  }

  /** One send: human verification when asked for, the local limits, then the provider, then the saved challenge. */
  async #attempt(
    adapter: ProviderAdapter,
    request: unknown,
    subject: Subject,
    humanProof: string | null,
    trace: Trace,
  ): Promise<Attempt> {
    const { provider, singleUse } = subject;
    const verification = await this.#humanVerification(subject, humanProof);
    if ("refusedBy" in verification) {
      trace.refusedBy = verification.refusedBy;
      return { outcome: verification.outcome, final: false };
    }
    // A proof attempt counted the caller's own limits already: a send with a proof counts once.
    const limited = await this.#limits.consume(subject, verification.proofCounted ? "afterProof" : "send");
    // A single-use value seen again (DMT's reference number): the input must change, so it is InvalidInput.
    if (limited.kind === "singleUseRepeated") {
      // Only a send with a single-use value is ever refused for one.
      const { field, message } = singleUse ?? { field: provider, message: "Already used." };
      return { outcome: invalidInput(provider, [{ field, message }], message), final: false };
    }
    if (limited.kind === "refused") {
      trace.refusedBy = limited.limit;
      return { outcome: limited.outcome, final: false };
    }
    trace.counted = true;

    const sendStarted = performance.now();
    const result = await adapter.send(request);
    trace.upstreamMs = Math.round(performance.now() - sendStarted);
    if (result.kind !== "sent") {
      const { notSent, otpNotSent, ...outcome } = result;
      // Certainly not sent: never reached the provider (refused connection, open breaker, in-flight cap, a
      // refusal before the OTP call), so nothing is counted; or the provider answered that no OTP went out, so
      // the single-use value may be used again. A timeout or an undocumented answer keeps everything.
      if (notSent) {
        await limited.giveBack("all");
        trace.counted = false;
      } else if (otpNotSent) await limited.giveBack("singleUse");
      // A request that never reached the provider is not the key's answer: retrying the key may send.
      return { outcome, final: !notSent };
    }

    const sentAt = this.#now();
    const resendGap = Math.max(this.#options.limits.cooldownSeconds, result.resendGapSeconds ?? 0);
    const challenge: Challenge = {
      id: newChallengeId(),
      provider,
      destinationHint: trace.destinationHint ?? "",
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

  /**
   * Whether the send may go on (no proof is needed, or the one given passed, or the verifier is away and
   * `failOpen` is set), and whether a proof attempt was counted; else why not: a proof is needed or was rejected,
   * the caller's limits refused the attempt, or the verifier is away. A proof attempt counts against the caller's
   * device and IP caps and the verifier's per-IP rate before the verifier is called, whatever it then says.
   */
  async #humanVerification(
    subject: SendSubject,
    humanProof: string | null,
  ): Promise<{ proofCounted: boolean } | { outcome: OtpFailure; refusedBy: PolicyRefusal }> {
    const policy = this.#options.humanVerification;
    if (!policy || policy.mode === "off") return { proofCounted: false };
    const activity = policy.mode === "adaptive" ? await this.#limits.recentActivity(subject) : {};
    const reason = proofNeeded(policy, activity);
    if (reason === null) return { proofCounted: false };
    const refused = (outcome: OtpFailure, refusedBy: PolicyRefusal = "humanVerification") => ({
      outcome,
      refusedBy,
    });
    if (humanProof === null) return refused(verificationRequired(subject.provider, policy, reason));
    const perMinute = policy.maxPerIpPerMinute ?? DEFAULT_VERIFIER_PER_IP_PER_MINUTE;
    const limited = await this.#limits.consume(subject, "proof", perMinute);
    // The caller's own limits only: no single-use value is counted here.
    if (limited.kind === "refused") return refused(limited.outcome, limited.limit);
    const verdict = await policy.verifier.verify(humanProof, subject.clientIp);
    if (verdict === "passed") return { proofCounted: true };
    if (verdict === "failed") {
      return refused(verificationRequired(subject.provider, policy, "PROOF_REJECTED"));
    }
    if (policy.failOpen) {
      this.#options.onVerifierUnavailable?.(subject.provider);
      return { proofCounted: true };
    }
    return refused({
      kind: "ProviderUnavailable",
      provider: subject.provider,
      providerCode: null,
      retryable: true,
      retryAfterSeconds: null,
      message: "Human verification cannot be checked at the moment. Please try again shortly.",
    });
  }
}

const VERIFICATION_MESSAGES: Record<HumanVerificationReason, string> = {
  ALWAYS_REQUIRED: "Please confirm you are not a robot, then ask again.",
  RECENT_ACTIVITY:
    "Several codes were requested recently. Please confirm you are not a robot, then ask again.",
  PROOF_REJECTED: "The check that you are not a robot did not pass. Please try it again.",
};

function verificationRequired(
  provider: ProviderId,
  policy: HumanVerificationPolicy,
  reason: HumanVerificationReason,
): OtpFailure {
  return {
    kind: "HumanVerificationRequired",
    provider,
    providerCode: null,
    retryable: false,
    verifier: policy.verifier.kind,
    siteKey: policy.verifier.siteKey,
    reason,
    message: VERIFICATION_MESSAGES[reason],
  };
}

function invalidInput(
  provider: ProviderId,
  fieldErrors: FieldError[],
  message = "Some fields are not valid.",
): OtpOutcome {
  return { kind: "InvalidInput", provider, providerCode: null, retryable: false, message, fieldErrors };
}

/** A proof is a widget's token: opaque, bounded, printable. */
function humanProofErrors(proof: string | null): FieldError[] {
  if (proof === null) return [];
  if (proof.length === 0 || proof.length > MAX_HUMAN_PROOF_LENGTH || !/^[\x21-\x7e]+$/.test(proof)) {
    return [
      {
        field: "humanProof",
        message: `The verifier's token: 1 to ${MAX_HUMAN_PROOF_LENGTH} printable characters, no spaces.`,
      },
    ];
  }
  return [];
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
    country: trace.country,
    counted: trace.counted,
    refusedBy: trace.refusedBy,
  };
}

const ID_BYTES = 18;
/** Random bytes drawn 256 ids at a time: one `randomBytes` call costs as much as a send's HMACs together. */
let idPool = Buffer.alloc(0);
let idPoolAt = 0;

/** 144 random bits, URL-safe; from the CSPRNG, each byte handed out once. */
function newChallengeId(): string {
  if (idPoolAt + ID_BYTES > idPool.length) {
    idPool = randomBytes(ID_BYTES * 256);
    idPoolAt = 0;
  }
  const id = idPool.toString("base64url", idPoolAt, idPoolAt + ID_BYTES);
  idPoolAt += ID_BYTES;
  return id;
}

function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}
