/**
 * What the provider contract suite (`contract.test.ts`) needs of one provider, beside its descriptor: each
 * provider has a `<id>.cases.ts` exporting `cases: ProviderCases`.
 */
import { readdirSync } from "node:fs";

/** A reply of the provider, as its document shows it. */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface ProviderCases {
  /** The provider's variables, pointing at a loopback upstream at `baseUrl`. */
  env: (baseUrl: string) => Record<string, string>;
  /** A valid input of the provider's `RequestOtpInput` member. */
  input: Record<string, unknown>;
  /** A valid input with every field set, optional ones too: where `test/otp/free-text.test.ts` starts from. */
  everyField: Record<string, string>;
  /** The documented request that input becomes: path and query, headers (a subset) and JSON body. */
  request: { url: string; headers: Record<string, string>; json: unknown };
  /**
   * For each documented response (by its `code` in the provider's table): the provider's reply, and what the user
   * sees, written out from the contract (not from the adapter's table). `expected` holds over HTTP and in the
   * sandbox; `challenge`, over HTTP only.
   */
  rows: Record<
    string,
    { reply: Reply; expected: Record<string, unknown>; challenge?: Record<string, unknown> }
  >;
  /**
   * Documented responses (by `code`) that one reply to the documented request cannot show (e.g. a refused login
   * before it), each with the test file that covers it instead of `rows`.
   */
  elsewhere?: Record<string, string>;
  /** Replies the document does not describe, each answered `UnexpectedProviderResponse` with its HTTP status. */
  undocumented: Reply[];
}

/** Every `<id>.cases.ts` beside this file, by provider id. */
export async function loadCases(): Promise<Map<string, ProviderCases>> {
  const cases = new Map<string, ProviderCases>();
  for (const file of readdirSync(new URL(".", import.meta.url)).filter((name) =>
    name.endsWith(".cases.ts"),
  )) {
    const module = (await import(`./${file}`)) as { cases: ProviderCases };
    cases.set(file.replace(".cases.ts", "").toUpperCase(), module.cases);
  }
  return cases;
}
