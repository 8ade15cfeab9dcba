import type { FieldError } from "./model.js";
import type { Parsed } from "./ports.js";

/** Characters that reorder how text is shown (Trojan Source, spoofed names): LRM/RLM, ALM, embeddings, isolates. */
const BIDI_CONTROL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

/**
 * Why a free-text value is refused, or null: ill-formed UTF-16 (a lone surrogate, which no provider can
 * decode), control characters, bidirectional controls.
 */
export function textProblem(value: string): string | null {
  if (/\p{Cs}/u.test(value)) return "Must be well-formed text (a lone surrogate was found).";
  if (/\p{Cc}/u.test(value)) return "Must not contain control characters.";
  if (BIDI_CONTROL.test(value)) return "Must not contain bidirectional control characters.";
  return null;
}

/**
 * Collects every failing field of one input member, so a user sees all of them at once.
 * Paths are prefixed with the member name: `dmt.ovdData`.
 */
export class FieldErrors {
  readonly #member: string;
  readonly #errors: FieldError[] = [];

  constructor(member: string) {
    this.#member = member;
  }

  add(field: string, message: string): void {
    this.#errors.push({ field: `${this.#member}.${field}`, message });
  }

  /**
   * Checks presence and the length cap of a string field, trimming it. Returns the trimmed value when it is
   * usable, `undefined` (with an error recorded) when it is not, and `null` when it is optional and absent.
   */
  text(
    field: string,
    value: string | null | undefined,
    rules: { max: number; required?: boolean },
  ): string | null | undefined {
    const trimmed = value?.trim() ?? "";
    if (trimmed === "") {
      if (rules.required) {
        this.add(field, "Required.");
        return undefined;
      }
      return null;
    }
    if (value !== undefined && value !== null && value.length > rules.max) {
      this.add(field, `At most ${rules.max} characters.`);
      return undefined;
    }
    const problem = textProblem(trimmed);
    if (problem) {
      this.add(field, problem);
      return undefined;
    }
    return trimmed;
  }

  get empty(): boolean {
    return this.#errors.length === 0;
  }

  /** The result: the value when nothing failed, else every error. */
  result<T>(value: () => T): Parsed<T> {
    return this.empty ? { ok: true, value: value() } : { ok: false, fieldErrors: [...this.#errors] };
  }
}
