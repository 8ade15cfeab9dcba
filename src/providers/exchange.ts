/** The one upstream exchange every adapter makes: POST the documented request, map the reply to an outcome. */
import type { ProviderId } from "../otp/model.js";
import type { SendResult } from "../otp/ports.js";
import type { UpstreamClient, UpstreamFault, UpstreamReply, UpstreamRequest } from "./http-client.js";
import { authFailure, faultOutcome, undocumentedOutcome } from "./outcomes.js";

/** What a mapping answers for a reply its provider's document does not describe. */
export const UNDOCUMENTED = { kind: "undocumented" } as const;

/** What an adapter's mapping makes of a reply: an outcome, or {@link UNDOCUMENTED}. */
export type Mapped = SendResult | typeof UNDOCUMENTED;

/**
 * Send `request` and map the reply with `map`. A fault (timeout, refused, too large, open breaker) becomes its
 * outcome; an undocumented reply is logged (scrubbed) and becomes `ProviderAuthFailed` for HTTP 401 or 403,
 * `ProviderUnavailable` for a 5xx, else `UnexpectedProviderResponse`. Its raw body is never returned.
 */
export async function exchange(
  http: UpstreamClient,
  provider: ProviderId,
  request: UpstreamRequest,
  map: (reply: UpstreamReply) => Mapped,
): Promise<SendResult> {
  return settle(http, provider, await http.postJson(request), map);
}

/** What {@link exchange} makes of one reply or fault, for adapters that make the call themselves. */
export function settle(
  http: UpstreamClient,
  provider: ProviderId,
  reply: UpstreamReply | UpstreamFault,
  map: (reply: UpstreamReply) => Mapped,
): SendResult {
  if (!reply.ok) return faultOutcome(provider, reply);
  const result = map(reply);
  if (result.kind !== UNDOCUMENTED.kind) return result;
  http.logUndocumented(reply);
  if (reply.status === 401 || reply.status === 403) return authFailure(provider, reply.status);
  return undocumentedOutcome(provider, reply.status);
}

/** `baseUrl + path`, keeping any path prefix of the base (a URL resolution would drop it). */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${path}`;
}
