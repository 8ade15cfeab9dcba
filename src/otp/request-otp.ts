import { randomBytes } from "node:crypto";
import type {
  DmtOtpInput,
  GstOtpInput,
  ItrOtpInput,
  PaytmOtpInput,
  PhoneOtpInput,
  RequestOtpInput,
} from "./inputs.js";
import { INPUT_MEMBER, PROVIDER_IDS, type Challenge, type OtpOutcome, type ProviderId } from "./model.js";
import { notConfigured, type ProviderAdapter } from "../providers/provider.js";
import { CHALLENGE_TTL_SECONDS, type OtpStore } from "./store/store.js";

/** The adapters this deployment has, by provider; a missing one answers "not configured". */
export interface Adapters {
  GST?: ProviderAdapter<GstOtpInput>;
  ITR?: ProviderAdapter<ItrOtpInput>;
  DMT?: ProviderAdapter<DmtOtpInput>;
  PAYTM?: ProviderAdapter<PaytmOtpInput>;
  PHONE?: ProviderAdapter<PhoneOtpInput>;
}

export interface OtpServiceOptions {
  adapters: Adapters;
  store: OtpStore;
  /** Sandbox mode: the only mode in which `devOtp` leaves this service. */
  sandbox: boolean;
  /** The local cooldown between sends to one destination, in seconds. */
  cooldownSeconds: number;
  now?: () => Date;
}

/** What the transport knows about the caller. */
export interface RequestContext {
  clientIp: string | null;
  idempotencyKey: string | null;
}

/**
 * The use case: validate, then ask the provider, then describe the challenge. Knows nothing of GraphQL.
 */
export class OtpService {
  readonly #options: OtpServiceOptions;
  readonly #now: () => Date;

  constructor(options: OtpServiceOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  async requestOtp(input: RequestOtpInput, _context: RequestContext): Promise<OtpOutcome> {
    const provider = selectedProvider(input);
    const adapter: ProviderAdapter | undefined = this.#options.adapters[provider];
    if (!adapter) return notConfigured(provider);

    const parsed = adapter.parse(input[INPUT_MEMBER[provider]]);
    if (!parsed.ok) {
      return {
        kind: "InvalidInput",
        provider,
        providerCode: null,
        retryable: false,
        message: "Some fields are not valid.",
        fieldErrors: parsed.fieldErrors,
      };
    }

    const destination = adapter.destination(parsed.value);
    const result = await adapter.send(parsed.value);
    if (result.kind !== "sent") return result;

    const sentAt = this.#now();
    const resendGap = Math.max(this.#options.cooldownSeconds, result.resendGapSeconds ?? 0);
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
    await this.#options.store.saveChallenge(challenge, CHALLENGE_TTL_SECONDS);
    return { kind: "OtpSent", challenge, devOtp: this.#options.sandbox ? result.devOtp : null };
  }
}

/** The one member that is set; graphql-js has already refused zero or two. */
function selectedProvider(input: RequestOtpInput): ProviderId {
  const set = PROVIDER_IDS.filter((id) => input[INPUT_MEMBER[id]] != null);
  const [provider] = set;
  if (provider === undefined || set.length > 1) {
    throw new TypeError("RequestOtpInput must have exactly one member set");
  }
  return provider;
}

/** 144 random bits, URL-safe. */
function newChallengeId(): string {
  return randomBytes(18).toString("base64url");
}

function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}
