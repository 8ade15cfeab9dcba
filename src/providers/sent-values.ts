/**
 * The values one upstream request sent, found again wherever a provider echoes them back. Providers cannot import
 * the logger, so this lives beside the HTTP client, which masks with it what it logs and what adapters pass on.
 */

/** What a masked value becomes (the logger's own censor text). */
export const SENT_VALUE_MASK = "[redacted]";

/** Values shorter than this are not masked by value: "IN", "1" or "en" would blot out every log line. */
const MIN_MASKED_LENGTH = 3;

/**
 * The secret and personal values one request sent upstream (its body's strings and numbers, its credential
 * headers), masked wherever a provider echoes them back: as sent, in any letter case, JSON-escaped (once, twice,
 * or with `\uXXXX` for non-ASCII), URL-encoded (`%20` or `+`), and HTML-escaped. A key-name list cannot know
 * that `{"loc": ["body", "password"], "input": "…"}` holds a password; the value itself can be found.
 */
export class SentValues {
  readonly #values: string[];
  /**
   * The longest run of ASCII letters and digits of each value, lower-cased: every form of a value keeps it, so a
   * text holding none of them holds no value and is returned as it is (the common case: a success message), and
   * the regular expression is built only when one is found. Null when a value has no such run.
   */
  readonly #probes: string[] | null;
  #pattern: RegExp | null | undefined;

  constructor(values: Iterable<string>) {
    this.#values = [...values].filter((value) => value.length >= MIN_MASKED_LENGTH);
    const probes = this.#values.map(longestAsciiRun);
    this.#probes = probes.every((probe) => probe !== "") ? probes : null;
  }

  /** The values of an upstream request: every string and number of its body, and its credential headers. */
  static of(body: unknown, headers: Readonly<Record<string, string>> = {}): SentValues {
    const values: string[] = [];
    collectLeaves(body, values);
    for (const [name, value] of Object.entries(headers)) {
      if (PUBLIC_HEADERS.has(name.toLowerCase())) continue;
      values.push(value, ...value.split(/\s+/).filter((part) => !/^(?:basic|bearer)$/i.test(part)));
      const basic = /^basic\s+([A-Za-z0-9+/=]+)$/i.exec(value);
      if (basic?.[1]) {
        const decoded = Buffer.from(basic[1], "base64").toString("utf8");
        const colon = decoded.indexOf(":");
        values.push(decoded, decoded.slice(0, colon), decoded.slice(colon + 1));
      }
    }
    return new SentValues(values);
  }

  /** `text` with every form of every value replaced by {@link SENT_VALUE_MASK}. */
  mask(text: string): string {
    if (this.#probes) {
      const lower = text.toLowerCase();
      if (!this.#probes.some((probe) => lower.includes(probe))) return text;
    }
    this.#pattern ??= pattern(this.#values);
    return this.#pattern ? text.replace(this.#pattern, SENT_VALUE_MASK) : text;
  }
}

/** One case-insensitive pattern for every form of every value, longest first. */
function pattern(values: readonly string[]): RegExp | null {
  const forms = new Set(values.flatMap(encodings));
  const alternatives = [...forms].sort((a, b) => b.length - a.length).map(escapeRegExp);
  return alternatives.length === 0 ? null : new RegExp(alternatives.join("|"), "gi");
}

function longestAsciiRun(value: string): string {
  let longest = "";
  for (const run of value.toLowerCase().match(/[a-z0-9]+/g) ?? [])
    if (run.length > longest.length) longest = run;
  return longest;
}

/** Headers that carry no secret or personal value. */
const PUBLIC_HEADERS = new Set(["content-type", "accept", "user-agent"]);

function collectLeaves(value: unknown, into: string[]): void {
  if (typeof value === "string") into.push(value);
  else if (typeof value === "number") into.push(String(value));
  else if (Array.isArray(value)) for (const item of value) collectLeaves(item, into);
  else if (value !== null && typeof value === "object") {
    for (const item of Object.values(value)) collectLeaves(item, into);
  }
}

/** The ways a value can be written in a body a provider sends back. */
function encodings(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const asciiJson = json.replace(
    /[^\x20-\x7e]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  const url = encodeURIComponent(value);
  return [
    value,
    json,
    JSON.stringify(json).slice(1, -1),
    asciiJson,
    url,
    url.replace(/%20/g, "+"),
    encodeURI(value),
    new URLSearchParams({ v: value }).toString().slice(2),
    value.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char] ?? char),
  ];
}

const HTML_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
