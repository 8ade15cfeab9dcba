/**
 * Hostile GraphQL documents, each within the request body limit: what `test/graphql/hostile-documents.test.ts`
 * shows refused with a clear error (counting the work done), and what `npm run bench` times.
 */

/** `levels` fragments, each spreading the one before it twice: 2^levels paths through ~40·levels bytes. */
export function doublingDocument(levels: number, leaf = "requestOtp(input: $a) { __typename }"): string {
  const fragments = [`fragment F0 on Mutation { ${leaf} }`];
  for (let level = 1; level <= levels; level++) {
    fragments.push(`fragment F${level} on Mutation { ...F${level - 1} ...F${level - 1} }`);
  }
  return `mutation Doubling${levels}($a: RequestOtpInput!) { ...F${levels} }\n${fragments.join("\n")}`;
}

/** Introspection fields nested `depth` deep (valid fields all the way down). */
export function nestedDocument(depth: number): string {
  const ofTypes = depth - 5;
  return `{ __schema { types { fields { type ${"{ ofType ".repeat(ofTypes)}{ name }${" }".repeat(ofTypes)} } } } }`;
}

/** Variables that make the documents' `$a` a valid input. */
export const HOSTILE_VARIABLES = {
  a: { phone: { phone: "+919812345670", country: "IN", deviceId: "d1" } },
};

/** Each hostile document by name. */
export const HOSTILE_DOCUMENTS: Readonly<Record<string, string>> = {
  "fragments doubling 22 times (under 1 KB)": doublingDocument(22),
  "fields nested 40 deep": nestedDocument(40),
  "fields nested 5000 deep": `${"{ a ".repeat(5000)}${"}".repeat(5000)}`,
  "3000 aliases": `{ ${Array.from({ length: 3000 }, (_, index) => `a${index}: __typename`).join(" ")} }`,
  "5000 fields": `{ ${"__typename ".repeat(5000)}}`,
  "140 copies of one nested field": `{ ${"__schema { types { name } } ".repeat(140)}}`,
  "110 copies of one field with an argument (within the bounds)": `{ ${'otpChallenge(id: "x") { id } '.repeat(110)}}`,
};
