import type { DocumentStore } from "@apollo/server";
import type { DocumentNode } from "graphql";

/** The most, in bytes as counted by {@link documentBytes}, that the parsed documents kept may hold. */
export const DOCUMENT_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * Documents with a longer text are not kept, by this cache or by the document bounds' ({@link DocumentLimits}):
 * they are parsed and checked again each time (linear, and bounded by `OTP_MAX_DOCUMENT_BYTES`). A router's plans
 * and the introspection query are shorter. Long texts kept for a while reach V8's old generation, and 4,000
 * distinct 60 KB documents churned through a 16 MB cache grew the process by 250 MB of pages that V8 had freed
 * but the system still counted; not kept, they die young, and the process grew by 30 MB.
 */
export const MAX_KEPT_DOCUMENT_CHARS = 4096;

/** What one parsed document holds on the heap, approximately (see {@link DocumentCache}). */
export function documentBytes(document: DocumentNode): number {
  return (document.loc?.source.body.length ?? 0) + 4 * JSON.stringify(document).length;
}

/**
 * Apollo Server's cache of parsed and validated documents (its `documentStore`), sized by what an entry really
 * holds. Apollo's default sizes an entry by its JSON, but each node's location keeps the parser's tokens and the
 * whole source text, which JSON leaves out: 4,000 distinct 60 KB documents of one comment and `{ __typename }`
 * were 2 KB to it and 240 MB to the heap. Here an entry counts its source text plus four times its JSON (measured
 * on graphql 16: a 1000-token document holds about 280 KB, four times its JSON; a comment-padded one, its
 * source), documents longer than {@link MAX_KEPT_DOCUMENT_CHARS} are not kept, and the least recently used
 * entries are dropped past {@link DOCUMENT_CACHE_BYTES}.
 */
export class DocumentCache implements DocumentStore {
  readonly #entries = new Map<string, { document: DocumentNode; bytes: number }>();
  readonly #maxBytes: number;
  #bytes = 0;
  /** The key of the most recently used entry (the Map's last), or undefined. */
  #last: string | undefined;

  constructor(maxBytes = DOCUMENT_CACHE_BYTES) {
    this.#maxBytes = maxBytes;
  }

  /** The bytes the entries are counted as holding, for tests. */
  get bytes(): number {
    return this.#bytes;
  }

  get(key: string): Promise<DocumentNode | undefined> {
    const entry = this.#entries.get(key);
    // Most recently used last: Map keeps insertion order. A client sends the same few documents over and over, so
    // the one asked for is usually the last already.
    if (entry && key !== this.#last) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      this.#last = key;
    }
    return Promise.resolve(entry?.document);
  }

  set(key: string, document: DocumentNode): Promise<void> {
    void this.delete(key);
    if ((document.loc?.source.body.length ?? 0) > MAX_KEPT_DOCUMENT_CHARS) return Promise.resolve();
    const bytes = documentBytes(document);
    if (bytes > this.#maxBytes) return Promise.resolve();
    this.#entries.set(key, { document, bytes });
    this.#last = key;
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
    return Promise.resolve();
  }

  delete(key: string): Promise<boolean> {
    const entry = this.#entries.get(key);
    if (entry) {
      this.#entries.delete(key);
      this.#bytes -= entry.bytes;
      if (key === this.#last) this.#last = undefined;
    }
    return Promise.resolve(entry !== undefined);
  }
}
