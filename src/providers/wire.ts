/** The transport's small parts: the deadline, the bounded body read, the reply's headers, and how errors read. */
import { EventEmitter } from "node:events";
import type { IncomingHttpHeaders } from "node:http";
import { errors, type Dispatcher } from "undici";
import type { ReplyHeaders } from "./http-types.js";

/**
 * The whole exchange's time limit: one timer, and the signal undici aborts on (undici takes an EventEmitter as
 * the abort signal: as good as an AbortSignal here, at a fraction of its cost).
 */
export class Deadline {
  readonly signal = new EventEmitter();
  readonly #at: number;
  readonly #timer: NodeJS.Timeout;
  #passed = false;

  constructor(ms: number) {
    this.#at = Date.now() + ms;
    this.#timer = setTimeout(() => {
      this.#passed = true;
      this.signal.emit("abort");
    }, ms);
  }

  get passed(): boolean {
    return this.#passed;
  }

  get remainingMs(): number {
    return this.#at - Date.now();
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

/**
 * The body as text, or null (and the connection dropped) past `maxBytes`. Read with the stream's events: an
 * async iterator costs a promise per chunk, on every send.
 */
export function readCapped(
  response: Dispatcher.ResponseData,
  maxBytes: number,
): Promise<string | null> | null {
  const declared = Number(response.headers["content-length"]);
  const { body } = response;
  if (declared > maxBytes) {
    body.destroy();
    return null;
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on("data", (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        body.destroy();
        resolve(null);
      } else chunks.push(chunk);
    });
    body.once("end", () => {
      resolve(Buffer.concat(chunks, size).toString("utf8"));
    });
    body.once("error", reject);
  });
}

export function replyHeaders(raw: IncomingHttpHeaders): ReplyHeaders {
  return {
    get: (name) => {
      const value = raw[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
    },
  };
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** undici's own errors (closed socket, timeouts, abort) and the system's (refused, reset, DNS). */
export function isNetworkError(error: unknown): boolean {
  return error instanceof errors.UndiciError || (error instanceof Error && "code" in error);
}

/** ECONNREFUSED anywhere in the cause chain (for every address tried, when there were several). */
export function isRefused(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if ("code" in current && current.code === "ECONNREFUSED") return true;
    if (current instanceof AggregateError && current.errors.length > 0) {
      return current.errors.every((inner) => isRefused(inner));
    }
  }
  return false;
}
