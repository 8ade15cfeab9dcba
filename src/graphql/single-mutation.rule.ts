import { GraphQLError, type ASTVisitor, type ValidationContext, type ValidationRule } from "graphql";
import { FragmentTotals, type WalkProbe } from "./fragment-totals.js";

/**
 * A validation rule: at most one `field` (a root field) per operation, whether written twice, aliased, or hidden
 * in fragments.
 *
 * Linear in the document: each fragment's count is worked out once and remembered ({@link FragmentTotals}).
 * Walking every path through the fragments instead costs 2^n for n fragments that each spread the next twice:
 * a 1 KB document held the event loop for seconds.
 */
export function createOncePerOperationRule(field: string, probe?: WalkProbe): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const counts = new FragmentTotals(
      context.getDocument(),
      (total, value) => total + value,
      // Only root fields: nothing below a root field is another root field.
      (selected) => (selected.name.value === field ? 1 : 0),
      probe,
    );
    return {
      OperationDefinition(operation) {
        const count = counts.of(operation.selectionSet);
        if (count > 1) {
          context.reportError(
            new GraphQLError(`At most one ${field} per operation; this one has ${count}.`, {
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

/**
 * At most one `requestOtp` per operation: each one would be a send that skips the per-request view of the limits,
 * so a document with two is refused before anything runs.
 */
export function createSingleMutationRule(probe?: WalkProbe): ValidationRule {
  return createOncePerOperationRule("requestOtp", probe);
}

export const singleMutationRule = createSingleMutationRule();

/**
 * At most one `_service` per operation: its SDL is 16 KB, so 150 aliases of `_service { sdl }` (2.7 KB asked)
 * answered 2.4 MB. A router asks for it once.
 */
export const singleServiceRule = createOncePerOperationRule("_service");
