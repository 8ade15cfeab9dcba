import { Kind, parse, type DocumentNode } from "graphql";
import { MAX_KEPT_DOCUMENT_CHARS } from "./document-cache.js";
import { FragmentTotals, type FieldValue, type WalkProbe } from "./fragment-totals.js";

/**
 * Bounds on a GraphQL document, checked before graphql-js's validation rules, some of which are quadratic or
 * worse in the number of fields that share a name (`{ b { a } b { a } … }` took 0.4 s at 400 copies). A router's
 * query plans and `examples/` stay far below all three (under 100 tokens, 22 fields, 3 deep); the standard
 * introspection query is 184 tokens, 230 fields counted through its fragments, 15 deep.
 */

/** The parser stops at this many tokens (graphql-js `maxLexicalTokens`). */
export const MAX_TOKENS = 1000;

/** Fields an operation may select, each fragment spread counted as the fields it brings. */
export const MAX_FIELDS = 300;

/** How deep an operation may nest fields. */
export const MAX_DEPTH = 24;

/** A field with what it selects: 1 plus its selections' count, or plus its selections' depth. */
const withSelections: FieldValue = (field, inner) => 1 + (field.selectionSet ? inner(field.selectionSet) : 0);

/**
 * Why a parsed document is refused, or null. Linear in the document: each fragment's count and depth are worked
 * out once and remembered ({@link FragmentTotals}), so fragments that each spread the next twice cost their size,
 * not 2^n.
 */
export function documentLimitProblem(document: DocumentNode, probe?: WalkProbe): string | null {
  const counts = new FragmentTotals(document, (total, value) => total + value, withSelections, probe);
  const depths = new FragmentTotals(document, Math.max, withSelections, probe);
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const depth = depths.of(definition.selectionSet);
    if (depth > MAX_DEPTH) return `Fields are nested ${depth} deep; at most ${MAX_DEPTH} are allowed.`;
    const count = counts.of(definition.selectionSet);
    if (count > MAX_FIELDS) {
      return `The operation selects ${count} fields, counting each fragment spread; at most ${MAX_FIELDS} are allowed.`;
    }
  }
  return null;
}

/** How much text (characters) of documents that passed is remembered, so a known document is not parsed twice. */
const KNOWN_GOOD_CHARS = 1 << 20;

/**
 * Checks query texts against the bounds before Apollo Server sees them: Apollo runs graphql-js's own rules first
 * whatever `validationRules` holds, and an error thrown from one of its plugin hooks is a 500. Documents that
 * passed are remembered (the oldest forgotten first, up to {@link KNOWN_GOOD_CHARS} characters of text in all, and
 * none longer than {@link MAX_KEPT_DOCUMENT_CHARS}), so the steady state is one lookup; a document that does not
 * parse is left to Apollo Server, which parses with the same `maxLexicalTokens` and answers its syntax error. The size
 * bound ({@link documentSizeProblem}) is checked before this.
 */
export class DocumentLimits {
  readonly #passed = new Set<string>();
  #passedChars = 0;

  /** Why `query` is refused, or null. */
  check(query: string, probe?: WalkProbe): string | null {
    // A text too long to be remembered is not looked up either: on Node 26, `Set#has` with a long string allocates
    // a copy that is not collected young (the heap profiler put 200 MB of the padded probe's promotions there).
    if (query.length <= MAX_KEPT_DOCUMENT_CHARS && this.#passed.has(query)) return null;
    let document: DocumentNode;
    try {
      document = parse(query, { maxLexicalTokens: MAX_TOKENS, noLocation: true });
    } catch {
      return null;
    }
    const problem = documentLimitProblem(document, probe);
    if (problem === null) this.#remember(query);
    return problem;
  }

  #remember(query: string): void {
    if (query.length > MAX_KEPT_DOCUMENT_CHARS) return;
    this.#passed.add(query);
    this.#passedChars += query.length;
    for (const oldest of this.#passed) {
      if (this.#passedChars <= KNOWN_GOOD_CHARS) break;
      this.#passed.delete(oldest);
      this.#passedChars -= oldest.length;
    }
  }
}

/**
 * Why a document of this text is refused by its size alone, or null: checked before anything parses it, in
 * constant time for most texts (a UTF-16 length bounds the UTF-8 length from below, and three times it from above).
 */
export function documentSizeProblem(query: string, maxBytes: number): string | null {
  if (query.length * 3 <= maxBytes) return null;
  if (query.length <= maxBytes && Buffer.byteLength(query) <= maxBytes) return null;
  return `The document is larger than ${maxBytes} bytes, the most this subgraph parses.`;
}
