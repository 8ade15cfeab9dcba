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
import { startTestApp, type TestApp } from "../helpers/app.js";
import { post } from "../helpers/client.js";

/** `levels` fragments, each spreading the one before it twice: 2^levels paths through a document of ~40·levels bytes. */
export function doublingDocument(levels: number, leaf = "requestOtp(input: $a) { __typename }"): string {
  const fragments = [`fragment F0 on Mutation { ${leaf} }`];
  for (let level = 1; level <= levels; level++) {
    fragments.push(`fragment F${level} on Mutation { ...F${level - 1} ...F${level - 1} }`);
  }
  return `mutation Doubling${levels}($a: RequestOtpInput!) { ...F${levels} }\n${fragments.join("\n")}`;
}

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
      const document = parse(source, { maxTokens: MAX_TOKENS });
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

  const tooManyTokens = new RegExp(`^Syntax Error: Document contains more th\\w+ ${MAX_TOKENS} tokens`);
  it.each([
    [
      "fragments that double 22 times (under 1 KB)",
      doublingDocument(22),
      /^The operation selects 8388608 fields/,
    ],
    [
      `fields nested ${MAX_DEPTH + 7} deep`,
      `{ __schema { types { fields { type ${"{ ofType ".repeat(MAX_DEPTH + 2)}{ name }${" }".repeat(MAX_DEPTH + 2)} } } } }`,
      new RegExp(`^Fields are nested ${MAX_DEPTH + 7} deep; at most ${MAX_DEPTH} are allowed\\.$`),
    ],
    ["fields nested 5000 deep", `${"{ a ".repeat(5000)}${"}".repeat(5000)}`, tooManyTokens],
    [
      "3000 aliases",
      `{ ${Array.from({ length: 3000 }, (_, index) => `a${index}: __typename`).join(" ")} }`,
      tooManyTokens,
    ],
    ["5000 fields", `{ ${"__typename ".repeat(5000)}}`, tooManyTokens],
    [
      "140 copies of one nested field",
      `{ ${"__schema { types { name } } ".repeat(140)}}`,
      /^The operation selects 420 fields/,
    ],
    [
      "two requestOtp through fragments within the bounds",
      doublingDocument(1),
      /^At most one requestOtp per operation; this one has 2\.$/,
    ],
  ])("answers %s with one clear error, and keeps answering", async (_name, query, message) => {
    const body = JSON.stringify({
      query,
      variables: { a: { phone: { phone: "+919812345670", country: "IN", deviceId: "d1" } } },
    });
    expect(Buffer.byteLength(body)).toBeLessThan(subgraph.config.maxBodyBytes);
    const { status, body: answer } = await post(subgraph.url, body);
    expect(status).toBeOneOf([200, 400]);
    expect(answer.data ?? null).toBeNull();
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors?.[0]?.message).toMatch(message);
    expect(answer.errors?.[0]?.extensions).not.toHaveProperty("stacktrace");
    const health = await fetch(subgraph.url.replace("/graphql", "/healthz"));
    expect(health.status).toBe(200);
  });
});
