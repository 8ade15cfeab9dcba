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

/** The standard scalars: naming them tells nothing of this schema. */
const STANDARD_TYPE = /^\[?(?:String|Int|Float|Boolean|ID)!?\]?!?$/;

/** Where graphql-js names a type of this schema in a client error, and what production says instead. */
const TYPE_MENTIONS: [RegExp, string][] = [
  [mention(" is not defined by type "), " is not defined here"],
  [mention(" for OneOf type "), " for this OneOf input"],
  [mention("^OneOf Input Object "), "A OneOf input object"],
  [mention("OneOf Input Object "), "a OneOf input object"],
  [mention(" on type "), " here"],
  [mention("Expected type ", " to be an object"), "Expected an object"],
  [mention("Expected type "), "Expected another type"],
  [mention(" value of type "), " value of another type"],
  [mention(" non-nullable type "), " a non-nullable value"],
  // Enums: `Value "X" does not exist in "DmtOtpType" enum.`, `Enum "DmtOtpType" cannot represent …`.
  [mention(" does not exist in ", " enum"), " does not exist in this enum"],
  [mention(String.raw`\bEnum `), "This enum"],
  // Selections: `Field "challenge" of type "OtpChallenge!" must have a selection of subfields.`
  [mention(" of type ", " must have"), " must have"],
  [mention(" since type ", " has no subfields"), " since its type has no subfields"],
  // `Fragment cannot be spread here as objects of type "OtpSent" can never be of type "X".`: the first is ours.
  [mention(" as objects of type "), " as objects of this type"],
  // `Variable "$t" of type "String" used in position expecting type "DmtOtpType!".`
  [mention(" expecting type "), " expecting another type"],
];

/** `they return conflicting types "A" and "B"` (overlapping fields): a type the client did not write. */
const CONFLICTING_TYPES = new RegExp(String.raw` conflicting types "(${NAME})" and "(${NAME})"`, "g");

/** `before` and a quoted type name (captured), then `after`. */
function mention(before: string, after = ""): RegExp {
  return new RegExp(String.raw`${before}"(${NAME})"${after}`, "g");
}

/**
 * A client error as production answers it, naming no type, field or argument of this schema that the client did
 * not write, as Apollo Server's `hideSchemaDetailsFromClientErrors` leaves out "Did you mean" suggestions:
 * `Field "PhoneOtpInput.phone" of required type "String!" was not provided.` becomes `A required field was not
 * provided.`, `Field "phon" is not defined by type "PhoneOtpInput".` becomes `Field "phon" is not defined here.`
 * Standard scalars stay named.
 */
export function withoutSchemaNames(message: string): string {
  let hidden = message
    // A field or argument the client did not write is not named, nor its type.
    .replace(
      new RegExp(String.raw`Field "[\w.]+" of required type "${NAME}" was not provided`, "g"),
      "A required field was not provided",
    )
    .replace(
      new RegExp(String.raw` argument "\w+" of type "${NAME}" is required, but it was not provided`, "g"),
      " has a required argument that was not provided",
    )
    .replace(/"[A-Z]\w*\.(\w+)"/g, '"$1"');
  for (const [mention, instead] of TYPE_MENTIONS) {
    hidden = hidden.replace(mention, (whole, type: string) => (STANDARD_TYPE.test(type) ? whole : instead));
  }
  return hidden.replace(CONFLICTING_TYPES, (whole, first: string, second: string) =>
    STANDARD_TYPE.test(first) && STANDARD_TYPE.test(second) ? whole : " conflicting types",
  );
}
