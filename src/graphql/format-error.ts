/** How errors leave the GraphQL layer: no input value, and a store outage named as such (stack traces never do). */
import type { GraphQLFormattedError } from "graphql";
import { unwrapResolverError } from "@apollo/server/errors";
import { StoreUnavailableError } from "../otp/store/store.js";
import { withoutInputValues, withoutSchemaNames } from "./input-errors.js";

/** graphql-js's messages for a oneOf input with two members, none, or a null one. */
const ONE_OF_VIOLATION =
  /^(OneOf Input Object "\w+" must specify exactly one key|Field "\w+\.\w+" must be non-null)\.$/;

/** Apollo Server's refusal of `__schema`/`__type` with introspection off, which tells to change its own code. */
const INTROSPECTION_OFF = /^GraphQL introspection is not allowed by Apollo Server/;
export const INTROSPECTION_OFF_MESSAGE =
  "GraphQL introspection is off on this server: its INTROSPECTION setting is false (the default with " +
  "NODE_ENV=production); set INTROSPECTION=true to allow it. The schema is served as `_service { sdl }`.";

/**
 * Apollo Server's `formatError`; in production (`hideSchemaDetails`) client errors also leave out the types,
 * fields and arguments of the schema that the client did not write ({@link withoutSchemaNames}), and unexpected
 * errors say no more than that.
 */
export function errorFormatter(
  hideSchemaDetails: boolean,
): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  return (formatted, error) => formatError(formatted, error, hideSchemaDetails);
}

function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
  hideSchemaDetails: boolean,
): GraphQLFormattedError {
  // Fail closed: no OTP goes out while the limits cannot be checked, and the caller is told so.
  if (unwrapResolverError(error) instanceof StoreUnavailableError) {
    return {
      message: "The service is temporarily unavailable. Please try again shortly.",
      ...(formatted.path && { path: formatted.path }),
      extensions: { code: "SERVICE_UNAVAILABLE" },
    };
  }
  const code = formatted.extensions?.code;
  // A bug's message names schema fields (`Cannot return null for non-nullable field OtpChallenge.id.`); it is logged.
  if (hideSchemaDetails && code === "INTERNAL_SERVER_ERROR") {
    return { ...formatted, message: "Internal server error" };
  }
  if (code !== "GRAPHQL_VALIDATION_FAILED" && code !== "BAD_USER_INPUT") return formatted;
  if (INTROSPECTION_OFF.test(formatted.message)) return { ...formatted, message: INTROSPECTION_OFF_MESSAGE };
  // graphql-js quotes input values in these messages; a value may be a password or an Aadhaar number.
  const withoutValues = withoutInputValues(formatted.message);
  const message = hideSchemaDetails ? withoutSchemaNames(withoutValues) : withoutValues;
  // Two members or none, written in the document, is bad input like the same mistake in variables.
  const oneOf = code === "GRAPHQL_VALIDATION_FAILED" && ONE_OF_VIOLATION.test(formatted.message);
  return {
    ...formatted,
    message,
    extensions: { ...formatted.extensions, ...(oneOf && { code: "BAD_USER_INPUT" }) },
  };
}
