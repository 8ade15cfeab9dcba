/**
 * One bad environment variable in one line: its name and what its value must be, in our words rather than the
 * schema library's ("PORT: must be a whole number from 0 to 65535"). Never the value itself: it may be a secret.
 */
import type { z } from "zod";

/** zod's own messages start so; ours (set in `src/env.ts` and the settings) say "must …" and are kept. */
const LIBRARY_TEXT = /^(Invalid|Too (small|big)|Expected|Unrecognized)/;

export function settingProblem(issue: z.core.$ZodIssue): string {
  const name = issue.path.map(String).join(".");
  return `${name}: ${LIBRARY_TEXT.test(issue.message) ? ourWords(issue) : issue.message}`;
}

function ourWords(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_value":
      return `must be one of ${issue.values.map(String).join(", ")}`;
    case "too_small":
      return issue.origin === "string"
        ? `must be at least ${String(issue.minimum)} characters`
        : `must be ${issue.inclusive === false ? "more than" : "at least"} ${String(issue.minimum)}`;
    case "too_big":
      return issue.origin === "string"
        ? `must be at most ${String(issue.maximum)} characters`
        : `must be ${issue.inclusive === false ? "less than" : "at most"} ${String(issue.maximum)}`;
    case "invalid_type":
      return issue.expected === "number" || issue.expected === "int"
        ? "must be a number"
        : `must be ${issue.expected}`;
    case "invalid_format":
      return issue.format === "url" ? "must be a URL" : `must be a valid ${issue.format}`;
    default:
      return "has a value that is not allowed here (see docs/settings.md)";
  }
}
