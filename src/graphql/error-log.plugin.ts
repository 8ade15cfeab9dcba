import type { ApolloServerPlugin } from "@apollo/server";
import { GraphQLError } from "graphql";
import { unwrapResolverError } from "@apollo/server/errors";
import type { Logger } from "pino";
import { StoreUnavailableError } from "../otp/store/store.js";
import { UnknownEntityError } from "./schema.js";

/**
 * Errors worth an operator's attention: a representation of no known entity (a router and subgraph out of step,
 * or a probe), and anything unexpected, with its stack outside production (clients never get one). A store outage
 * is logged where it is seen (`state store unreachable`).
 */
export function errorLog(logger: Logger, production: boolean): ApolloServerPlugin {
  return {
    requestDidStart: () =>
      Promise.resolve({
        didEncounterErrors: ({ errors, request }) => {
          for (const error of errors) {
            const cause = unwrapResolverError(error);
            if (cause instanceof StoreUnavailableError) continue;
            if (cause instanceof UnknownEntityError) {
              logger.warn(
                { operationName: request.operationName, err: cause.message },
                "unknown entity type",
              );
            } else if (
              error.extensions.code === undefined ||
              error.extensions.code === "INTERNAL_SERVER_ERROR"
            ) {
              // A GraphQLError's text form prints the client's document around its location: the message only.
              const text =
                cause instanceof GraphQLError
                  ? cause.message
                  : production || !(cause instanceof Error)
                    ? String(cause)
                    : cause.stack;
              logger.error({ err: withoutControls(text) }, "request failed");
            }
          }
          return Promise.resolve();
        },
      }),
  };
}

/** Control, bidirectional and other invisible format characters, which a client may have put in a message. */
const CONTROLS = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

function withoutControls(text: string | undefined): string | undefined {
  // Line breaks of a stack trace are kept.
  return text?.replace(CONTROLS, (character) => (character === "\n" ? character : "\uFFFD"));
}
