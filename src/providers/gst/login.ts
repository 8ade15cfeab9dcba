/**
 * The GST aggregator's login: "You will need to login before sending a GSTR OTP Request. You are required to pass
 * the access token received from the login call". `POST <baseUrl><loginPath>` with `{ username, password }` answers
 * `{ id, ttl, created, userId }` (the access token, its life in seconds, when it was made, the patron's id), or
 * 401 `{ error: { … } }` for bad credentials.
 *
 * One token per process: kept until shortly before its ttl, renewed once when the OTP call answers 401, and
 * fetched by one login however many requests need it at once. A failed login opens no loop of logins: until its
 * back-off ends, requests are answered with the same failure without calling. Neither the password nor a token
 * reaches a log, an error or the store.
 */
import type { ProviderBinding } from "../binding.js";
import { UNDOCUMENTED } from "../exchange.js";
import type { UpstreamClient, UpstreamReply } from "../http-client.js";
import { asRecord, documentedRow, type DocumentedResponse } from "../outcomes.js";
import type { Credentials, NoAccess } from "../renewal.js";

/** The login's documented answers (the aggregator's `patrons/login`). `code` is the HTTP status. */
export const GST_LOGIN_RESPONSES = [
  {
    code: "login 401",
    documented: "login: HTTP 401 `{error}` (bad `GST_API_USERNAME` or `GST_API_PASSWORD`)",
    outcome: "ProviderAuthFailed",
    providerCode: "401",
    retryable: false,
    message: "The GST portal did not accept this service's credentials. Please try again later.",
    notes:
      "nothing is sent; further logins wait for a back-off (1 s, doubling to 5 min) and are answered the same meanwhile",
  },
] as const satisfies readonly DocumentedResponse[];

const LOGIN_REFUSED = documentedRow(GST_LOGIN_RESPONSES, "login 401");

/** A token in hand, and the patron id its login named (for `{patronId}` in `GST_OTP_PATH`). */
export interface GstAccess {
  token: string;
  patronId: string | null;
}

/** The current access, or why there is none (nothing was sent). */
export type GstAccessResult = { ok: true; access: GstAccess } | NoAccess;

/**
 * Where a token comes from: fixed (`GST_ACCESS_TOKEN`, never renewed) or a login (`GST_API_USERNAME`,
 * `GST_API_PASSWORD`), renewed after the OTP call's 401 by the re-login hook (`withRenewal`).
 */
export type GstCredentials = Credentials<GstAccess>;

/** `GST_ACCESS_TOKEN`: the same token every time, never renewed. */
export function fixedToken(token: string): GstCredentials {
  const result: GstAccessResult = { ok: true, access: { token, patronId: null } };
  return { renewable: false, access: () => Promise.resolve(result), refused: () => undefined };
}

export interface GstLoginOptions {
  url: string;
  username: string;
  password: string;
  http: UpstreamClient;
  /** The provider the login's failures are answered for. */
  provider: ProviderBinding;
  now?: () => number;
}

/** Renew this long before the ttl ends (a tenth of it, at most a minute), so no call carries a dying token. */
export function renewBeforeMs(ttlSeconds: number): number {
  return Math.min(60_000, ttlSeconds * 100);
}

const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 5 * 60_000;

/** Tokens from the aggregator's login, cached, shared by concurrent requests, renewed after a 401. */
export class GstLogin implements GstCredentials {
  readonly renewable = true;
  readonly #options: GstLoginOptions;
  readonly #now: () => number;
  #current: { access: GstAccess; renewAt: number } | null = null;
  #inFlight: Promise<GstAccessResult> | null = null;
  #failure: { result: GstAccessResult; until: number; backoffMs: number } | null = null;

  constructor(options: GstLoginOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  access(): Promise<GstAccessResult> {
    const now = this.#now();
    if (this.#current && now < this.#current.renewAt) {
      return Promise.resolve({ ok: true, access: this.#current.access });
    }
    if (this.#inFlight) return this.#inFlight;
    if (this.#failure && now < this.#failure.until) return Promise.resolve(this.#failure.result);
    this.#inFlight = this.#login().finally(() => {
      this.#inFlight = null;
    });
    return this.#inFlight;
  }

  refused(access: GstAccess): void {
    if (this.#current?.access.token === access.token) this.#current = null;
  }

  async #login(): Promise<GstAccessResult> {
    const { url, username, password, http } = this.#options;
    const reply = await http.postJson({ url, headers: {}, json: { username, password } });
    const result: GstAccessResult = reply.ok
      ? this.#read(reply)
      : { ok: false, failure: { ...this.#options.provider.fault(reply), notSent: true } };
    if (result.ok) {
      this.#failure = null;
      return result;
    }
    const backoffMs = this.#failure
      ? Math.min(MAX_BACKOFF_MS, this.#failure.backoffMs * 2)
      : FIRST_BACKOFF_MS;
    this.#failure = { result, until: this.#now() + backoffMs, backoffMs };
    return result;
  }

  #read(reply: UpstreamReply): GstAccessResult {
    const body = asRecord(reply.body);
    const token = body?.id;
    const ttl = body?.ttl;
    if (
      reply.status === 200 &&
      typeof token === "string" &&
      token !== "" &&
      typeof ttl === "number" &&
      ttl > 0
    ) {
      const userId = body?.userId;
      const patronId = typeof userId === "string" || typeof userId === "number" ? String(userId) : null;
      const access = { token, patronId };
      this.#current = { access, renewAt: this.#now() + ttl * 1000 - renewBeforeMs(ttl) };
      return { ok: true, access };
    }
    if (reply.status === 401) {
      return { ok: false, failure: { ...this.#options.provider.failure(LOGIN_REFUSED), notSent: true } };
    }
    const { http, provider } = this.#options;
    // The driver of this call acts on what its reading found (as `settle` does for the OTP call).
    http.replies.note(reply, UNDOCUMENTED);
    // A 403 with no documented body, as for the OTP call: the aggregator refused this service.
    const failure =
      reply.status === 403 ? provider.authFailure(reply.status) : provider.undocumented(reply.status);
    return { ok: false, failure: { ...failure, notSent: true } };
  }
}
