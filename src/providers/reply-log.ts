/**
 * The logging hook of a client: what a mapping noted about a reply (see {@link ReplyNote}) is logged, scrubbed, and
 * counted here, by whoever drives the call ({@link settle}), never by the mapping itself.
 */
import type { ProviderId } from "../otp/model.js";
import type { BodyScrubber, UpstreamLogger, UpstreamObserver, UpstreamReply } from "./http-types.js";

/**
 * What a mapping asks its caller to do about a reply besides answering: log it as one its document does not
 * describe (`hint` says what an operator should check), or note that `field` held a `value` its document does not
 * list although the reply was mapped (as `mappedAs`).
 */
export type ReplyNote =
  | { kind: "undocumented"; hint?: string }
  | { kind: "unrecognised"; field: string; value: unknown; mappedAs: string };

export interface ReplyLogOptions {
  provider?: ProviderId | undefined;
  logger?: UpstreamLogger | undefined;
  /** How a reply's body is logged; without it the body is not logged, only its size. */
  scrubBody?: BodyScrubber | undefined;
  observer?: UpstreamObserver | undefined;
}

/** Logs (scrubbed) and counts the replies a mapping noted, for one provider. */
export class ReplyLog {
  readonly #options: ReplyLogOptions;

  constructor(options: ReplyLogOptions) {
    this.#options = options;
  }

  /** Act on what a mapping noted about `reply`. */
  note(reply: UpstreamReply, note: ReplyNote): void {
    if (note.kind === "undocumented") this.#undocumented(reply, note.hint);
    else this.#unrecognised(reply, note.field, note.value, note.mappedAs);
  }

  /** A reply its provider's document does not describe: its size and type, and its body scrubbed. */
  #undocumented(reply: UpstreamReply, hint?: string): void {
    const { logger, scrubBody, provider, observer } = this.#options;
    observer?.undocumented?.();
    const contentType = reply.headers.get("content-type");
    logger?.warn(
      {
        provider,
        status: reply.status,
        contentType: contentType && (reply.maskSent?.(contentType) ?? contentType),
        bytes: Buffer.byteLength(reply.text),
        ...(scrubBody && { body: scrubBody(reply.body ?? reply.text, reply.maskSent) }),
        ...(hint && { hint }),
      },
      "undocumented reply",
    );
  }

  /** A reply mapped although a field held a value its document does not list: logged scrubbed, and counted. */
  #unrecognised(reply: UpstreamReply, field: string, value: unknown, mappedAs: string): void {
    const { logger, scrubBody, provider, observer } = this.#options;
    logger?.warn(
      {
        provider,
        status: reply.status,
        field,
        mappedAs,
        ...(scrubBody && { value: scrubBody(value, reply.maskSent) }),
      },
      "unrecognised value in a reply",
    );
    observer?.unrecognised?.(field);
  }
}
