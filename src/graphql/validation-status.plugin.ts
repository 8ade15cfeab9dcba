import type { ApolloServerPlugin } from "@apollo/server";

const VALIDATION_CODES = new Set(["GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"]);

/**
 * GraphQL over HTTP: with `application/json`, a well-formed request that fails validation or variable coercion
 * is still HTTP 200. Apollo Server answers 400, which `@apollo/gateway` turns into INTERNAL_SERVER_ERROR
 * "400: Bad Request"; and a oneOf violation (in variables, or written inline in a document: the gateway's API
 * schema has no `@oneOf`) must reach the client as the subgraph's own BAD_USER_INPUT. Setting the status in
 * `willSendResponse` is Apollo's documented way; its `status400ForVariableCoercionErrors: false` is deprecated.
 */
export const validationFailureAsOk: ApolloServerPlugin = {
  requestDidStart: ({ request }) => {
    const wantsGraphQLResponse = request.http?.headers
      .get("accept")
      ?.includes("application/graphql-response+json");
    return Promise.resolve({
      willSendResponse: ({ response }) => {
        const errors = response.body.kind === "single" ? response.body.singleResult.errors : undefined;
        if (
          !wantsGraphQLResponse &&
          response.http.status === 400 &&
          errors?.every((error) => VALIDATION_CODES.has(String(error.extensions?.code)))
        ) {
          response.http.status = 200;
        }
        return Promise.resolve();
      },
    });
  },
};
