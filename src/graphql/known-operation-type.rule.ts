import { GraphQLError, type ValidationRule } from "graphql";

/**
 * An operation of a type the schema has no root for (`subscription`: this subgraph has none) is the client's
 * mistake, answered as a validation failure; graphql-js reports it only when executing, as an error without a
 * code (INTERNAL_SERVER_ERROR), whose log line printed the client's document.
 */
export const knownOperationTypeRule: ValidationRule = (context) => ({
  OperationDefinition(operation) {
    if (!context.getSchema().getRootType(operation.operation)) {
      context.reportError(
        new GraphQLError(`This subgraph does not serve ${operation.operation} operations.`, {
          nodes: operation,
        }),
      );
    }
    return false;
  },
});
