import { readFile } from "node:fs/promises";
import { getIntrospectionQuery, parse, validate, visit, type DocumentNode } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  documentLimitProblem,
  MAX_DEPTH,
  MAX_FIELDS,
  MAX_TOKENS,
} from "../../src/graphql/document-limits.js";
import type { WalkProbe } from "../../src/graphql/fragment-totals.js";
import { buildOtpSchema } from "../../src/graphql/schema.js";
import { createSingleMutationRule } from "../../src/graphql/single-mutation.rule.js";
import { doublingDocument, HOSTILE_DOCUMENTS, HOSTILE_VARIABLES } from "../../bench/hostile-documents.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { post } from "../helpers/client.js";

/** Field, inline fragment and fragment spread nodes: the selections a linear walk may visit once each. */
function selections(document: DocumentNode): number {
  let count = 0;
  const one = () => {
    count += 1;
  };
  visit(document, { Field: one, InlineFragment: one, FragmentSpread: one });
  return count;
}

const introspection = getIntrospectionQuery({
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
});

/** What a router sends this subgraph: the operation of `examples/`, and `_entities` for the challenge. */
const ENTITIES_PLAN = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on OtpChallenge { __typename id provider destinationHint sentAt expiresAt resendAvailableAt attemptsAllowed providerMessage }
  }
}`;

describe("our walks over a document are linear in it", () => {
  it.each([10, 22, 60])("visit each selection of %i doubling fragments once", async (levels) => {
    const document = parse(doublingDocument(levels));
    const size = selections(document);

    const ruleProbe: WalkProbe = { visits: 0 };
    const errors = validate(await buildOtpSchema(), document, [createSingleMutationRule(ruleProbe)]);
    expect(errors.map((error) => error.message)).toEqual([
      `At most one requestOtp per operation; this one has ${2 ** levels}.`,
    ]);
    expect(ruleProbe.visits).toBeLessThanOrEqual(size);

    const limitsProbe: WalkProbe = { visits: 0 };
    expect(documentLimitProblem(document, limitsProbe)).toBe(
      `The operation selects ${2 ** (levels + 1)} fields, counting each fragment spread; at most ${MAX_FIELDS} are allowed.`,
    );
    // Two measures (count and depth), each walking every selection once.
    expect(limitsProbe.visits).toBeLessThanOrEqual(2 * size);
  });

  it("lets every legitimate operation through: examples/, a router's plans, introspection", async () => {
    const documents = [
      await readFile(new URL("../../examples/operations/request-otp.graphql", import.meta.url), "utf8"),
      await readFile(new URL("../operations/request-otp.graphql", import.meta.url), "utf8"),
      ENTITIES_PLAN,
      "{ _service { sdl } }",
      introspection,
    ];
    for (const source of documents) {
      const document = parse(source, { maxLexicalTokens: MAX_TOKENS });
      expect(documentLimitProblem(document)).toBeNull();
    }
  });
});

describe("hostile documents over HTTP", () => {
  let subgraph: TestApp;
  beforeAll(async () => {
    subgraph = await startTestApp();
  });
  afterAll(() => subgraph.close());

  const tooLarge = /^The document is larger than 16384 bytes, the most this subgraph parses\.$/;
  /** What each of the benchmark's hostile documents is answered with; null: data, within every bound. */
  const EXPECTED: Record<string, RegExp | null> = {
    "fragments doubling 22 times (under 1 KB)": /^The operation selects 8388608 fields/,
    "fields nested 40 deep": new RegExp(`^Fields are nested 40 deep; at most ${MAX_DEPTH} are allowed\\.$`),
    "fields nested 5000 deep": tooLarge,
    "3000 aliases": tooLarge,
    "5000 fields": tooLarge,
    "140 copies of one nested field": /^The operation selects 420 fields/,
    "110 copies of one field with an argument (within the bounds)": null,
  };

  it("knows what every hostile document of the benchmark is answered with", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(HOSTILE_DOCUMENTS).sort());
  });

  it.each([
    ...Object.entries(HOSTILE_DOCUMENTS).map(
      ([name, query]) => [name, query, EXPECTED[name] ?? null] as const,
    ),
    [
      "two requestOtp through fragments within the bounds",
      doublingDocument(1),
      /^At most one requestOtp per operation; this one has 2\.$/,
    ] as const,
  ])("answers %s clearly, and keeps answering", async (_name, query, message) => {
    const body = JSON.stringify({ query, variables: HOSTILE_VARIABLES });
    expect(Buffer.byteLength(body)).toBeLessThan(subgraph.config.maxBodyBytes);
    const { status, body: answer } = await post(subgraph.url, body);
    expect(status).toBeOneOf([200, 400, 413]);
    if (message === null) {
      expect(answer.errors).toBeUndefined();
    } else {
      expect(answer.data ?? null).toBeNull();
      expect(answer.errors).toHaveLength(1);
      expect(answer.errors?.[0]?.message).toMatch(message);
      expect(answer.errors?.[0]?.extensions).not.toHaveProperty("stacktrace");
    }
    const health = await fetch(subgraph.url.replace("/graphql", "/healthz"));
    expect(health.status).toBe(200);
  });
});
