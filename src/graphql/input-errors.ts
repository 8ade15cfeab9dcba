/**
 * graphql-js quotes the offending value in its input errors (`Variable "$input" got invalid value { itr: { pan:
 * "…", password: "…" } }; …`, `String cannot represent a non string value: 234567890124`). A value may be a
 * password or an Aadhaar number, and error messages are never to carry one: these rewrite such messages to keep
 * the variable, the path and the reason, without the value.
 */

const NAME = String.raw`[\w!\[\]]+`;

/** Reasons graphql-js gives for a bad input value, each reduced to a form with no user value in it. */
const SAFE_REASONS: [RegExp, (match: RegExpExecArray) => string][] = [
  [/^Exactly one key must be specified for OneOf type "\w+"\./, (m) => m[0]],
  [new RegExp(String.raw`^Field "[\w.]+" of required type "${NAME}" was not provided\.`), (m) => m[0]],
  [/^Field "[\w.]+" must be non-null\./, (m) => m[0]],
  [/^Field "\w+" is not defined by type "\w+"\./, (m) => m[0]],
  [new RegExp(String.raw`^Expected type "${NAME}" to be an object\.`), (m) => m[0]],
  [new RegExp(String.raw`^Expected non-nullable type "${NAME}" not to be null\.`), (m) => m[0]],
  [/^(\w+) cannot represent [\w -]+?(?=:|\.|$)/, (m) => `${m[0]}.`],
  [/^Enum "\w+" cannot represent non-string value/, (m) => `${m[0]}.`],
  [
    /^Value "[\s\S]*" does not exist in "(\w+)" enum\./,
    (m) => `Value does not exist in "${m[1] ?? ""}" enum.`,
  ],
];

function safeReason(reason: string): string {
  for (const [pattern, keep] of SAFE_REASONS) {
    const match = pattern.exec(reason);
    if (match) return keep(match);
  }
  return "Invalid value.";
}

/** The message of a BAD_USER_INPUT or GRAPHQL_VALIDATION_FAILED error without any input value in it. */
export function withoutInputValues(message: string): string {
  const variable = /^Variable "(\$\w+)" got invalid value /.exec(message);
  if (variable) {
    // Format: Variable "$x" got invalid value VALUE[ at "PATH"]; REASON. Strings in VALUE are JSON-escaped, so the
    // first unescaped ` at "…"; ` is the path; the reason (which may quote the value again) follows it.
    const path = / at "(\$?\w+(?:\.\w+|\[\d+\])*)"; /.exec(message);
    const reason = path
      ? message.slice(path.index + path[0].length)
      : message.slice(message.lastIndexOf("; ") + 2);
    return `Variable "${variable[1] ?? ""}" got invalid value${path ? ` at "${path[1] ?? ""}"` : ""}; ${safeReason(reason)}`;
  }
  const found = new RegExp(String.raw`^Expected value of type "(${NAME})", found `).exec(message);
  if (found) return `Expected value of type "${found[1] ?? ""}", found an invalid value.`;
  if (/^\w+ cannot represent /.test(message) || /^Enum "\w+" cannot represent /.test(message)) {
    return safeReason(message);
  }
  return message;
}
