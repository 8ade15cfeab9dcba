import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from "graphql";

/** The root field an operation may hold only once. */
const GUARDED_FIELD = "requestOtp";

/**
 * A validation rule: at most one `requestOtp` per operation, whether written twice, aliased, or hidden in
 * fragments. Each one would be a send that skips the per-request view of the limits, so a document with two
 * is refused before anything runs.
 */
export function singleMutationRule(context: ValidationContext): ASTVisitor {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of context.getDocument().definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return {
    OperationDefinition(operation) {
      const count = countRootFields(operation.selectionSet, fragments, new Set());
      if (count > 1) {
        context.reportError(
          new GraphQLError(`At most one ${GUARDED_FIELD} per operation; this one has ${count}.`, {
            nodes: operation,
          }),
        );
      }
    },
  };
}

function countRootFields(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  visited: Set<string>,
): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === GUARDED_FIELD) count += 1;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      count += countRootFields(selection.selectionSet, fragments, visited);
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      // A fragment spread twice is counted twice; a cycle is another rule's error.
      if (fragment && !visited.has(name)) {
        count += countRootFields(fragment.selectionSet, fragments, new Set([...visited, name]));
      }
    }
  }
  return count;
}
