/** The one upstream exchange every adapter makes: POST the documented request, map the reply to an outcome. */
import type { ProviderId } from "../otp/model.js";
import type { SendResult } from "../otp/ports.js";
import type { UpstreamClient, UpstreamReply, UpstreamRequest, UpstreamResult } from "./http-client.js";
import { authFailure, faultOutcome, undocumentedOutcome } from "./outcomes.js";
import type { ReplyNote } from "./reply-log.js";

/** What a mapping answers for a reply its provider's document does not describe (`hint`: what to check). */
export interface Undocumented {
  kind: "undocumented";
  hint?: string;
}

export const UNDOCUMENTED: Undocumented = { kind: "undocumented" };

/** An outcome, with a note for the caller to act on (log the reply): see {@link ReplyNote}. */
export interface Noted {
  kind: "noted";
  result: SendResult;
  note: ReplyNote;
}

/**
 * What an adapter's mapping makes of a reply: an outcome, {@link UNDOCUMENTED}, or an outcome with a note. A
 * mapping is pure: it never logs or counts; whoever drives the call acts on the note ({@link settle}).
 */
export type Mapped = SendResult | Undocumented | Noted;

/** `result`, with `note` for the caller. */
export function noted(result: SendResult, note: ReplyNote): Noted {
  return { kind: "noted", result, note };
}

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

/**
 * What {@link exchange} makes of one reply or fault, for adapters that make the call themselves: the mapping's
 * answer, with its note acted on through the client's logging hook.
 */
export function settle(
  http: Pick<UpstreamClient, "replies">,
  provider: ProviderId,
  reply: UpstreamResult,
  map: (reply: UpstreamReply) => Mapped,
): SendResult {
  if (!reply.ok) return faultOutcome(provider, reply);
  const result = map(reply);
  switch (result.kind) {
    case "noted":
      http.replies.note(reply, result.note);
      return result.result;
    case "undocumented":
      http.replies.note(reply, result);
      if (reply.status === 401 || reply.status === 403) return authFailure(provider, reply.status);
      return undocumentedOutcome(provider, reply.status);
    default:
      return result;
  }
}

/** `baseUrl + path`, keeping any path prefix of the base (a URL resolution would drop it). */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${path}`;
}
