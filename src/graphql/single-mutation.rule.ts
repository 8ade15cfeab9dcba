import { GraphQLError, type ASTVisitor, type ValidationContext, type ValidationRule } from "graphql";
import { FragmentTotals, type WalkProbe } from "./fragment-totals.js";

/** The root field an operation may hold only once. */
const GUARDED_FIELD = "requestOtp";

/**
 * A validation rule: at most one `requestOtp` per operation, whether written twice, aliased, or hidden in
 * fragments. Each one would be a send that skips the per-request view of the limits, so a document with two
 * is refused before anything runs.
 *
 * Linear in the document: each fragment's count is worked out once and remembered ({@link FragmentTotals}).
 * Walking every path through the fragments instead costs 2^n for n fragments that each spread the next twice:
 * a 1 KB document held the event loop for seconds.
 */
export function createSingleMutationRule(probe?: WalkProbe): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const counts = new FragmentTotals(
      context.getDocument(),
      (total, value) => total + value,
      // Only root fields: nothing below requestOtp can be another send.
      (field) => (field.name.value === GUARDED_FIELD ? 1 : 0),
      probe,
    );
    return {
      OperationDefinition(operation) {
        const count = counts.of(operation.selectionSet);
        if (count > 1) {
          context.reportError(
            new GraphQLError(`At most one ${GUARDED_FIELD} per operation; this one has ${count}.`, {
              nodes: operation,
            }),
          );
        }
        return false;
      },
      FragmentDefinition: () => false,
    };
  };
}

export const singleMutationRule = createSingleMutationRule();
