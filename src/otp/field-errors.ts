import type { FieldError } from "./model.js";
import type { Parsed } from "./ports.js";

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
    if (/\p{Cc}/u.test(trimmed)) {
      this.add(field, "Must not contain control characters.");
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
