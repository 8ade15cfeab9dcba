import {
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
} from "graphql";

/** Counts the selections a walk looks at, so tests can show that the work stays linear. */
export interface WalkProbe {
  visits: number;
}

/** How a walk values one field, given a way to value the field's own selections. */
export type FieldValue = (field: FieldNode, inner: (selectionSet: SelectionSetNode) => number) => number;

/**
 * A number worked out over selection sets (a count, a depth) where each named fragment is walked once and its
 * number remembered, so the walk is linear in the document however often fragments spread one another. A
 * spread of an unknown fragment or one that is already being walked (a cycle) counts as 0: graphql-js's own
 * rules report those.
 */
export class FragmentTotals {
  readonly #fragments = new Map<string, FragmentDefinitionNode>();
  readonly #known = new Map<string, number>();
  readonly #walking = new Set<string>();
  readonly #combine: (total: number, value: number) => number;
  readonly #field: FieldValue;
  readonly #probe: WalkProbe | undefined;

  constructor(
    document: DocumentNode,
    combine: (total: number, value: number) => number,
    field: FieldValue,
    probe?: WalkProbe,
  ) {
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION)
        this.#fragments.set(definition.name.value, definition);
    }
    this.#combine = combine;
    this.#field = field;
    this.#probe = probe;
  }

  of(selectionSet: SelectionSetNode): number {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (this.#probe) this.#probe.visits += 1;
      const value =
        selection.kind === Kind.FIELD
          ? this.#field(selection, (inner) => this.of(inner))
          : selection.kind === Kind.INLINE_FRAGMENT
            ? this.of(selection.selectionSet)
            : this.#fragment(selection.name.value);
      total = this.#combine(total, value);
    }
    return total;
  }

  #fragment(name: string): number {
    const known = this.#known.get(name);
    if (known !== undefined) return known;
    const fragment = this.#fragments.get(name);
    if (!fragment || this.#walking.has(name)) return 0;
    this.#walking.add(name);
    const value = this.of(fragment.selectionSet);
    this.#walking.delete(name);
    this.#known.set(name, value);
    return value;
  }
}
