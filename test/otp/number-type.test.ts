import fc from "fast-check";
import { getCountries, getExampleNumber, parsePhoneNumberFromString } from "libphonenumber-js/max";
import examples from "libphonenumber-js/mobile/examples";
import { describe, expect, it } from "vitest";
import { numberType } from "../../src/otp/phone-policy.js";

/** Numbers of other kinds than mobile (the metadata's examples are mobile numbers), for the policy's types. */
const OTHER_KINDS = [
  "+911123456789", // fixed line, Delhi
  "+12025550123", // fixed line or mobile (US)
  "+19005550123", // premium rate
  "+18005550123", // toll free
  "+442079460123", // fixed line (UK)
  "+80012345678", // non-geographic (freephone)
];

/** Every country's mobile example, and the numbers above, as calling code and national number. */
const EXAMPLES = [
  ...getCountries().flatMap((country) => {
    const example = getExampleNumber(country, examples);
    return example ? [example] : [];
  }),
  ...OTHER_KINDS.map((e164) => parsePhoneNumberFromString(e164)),
].map((number) => ({
  callingCode: number?.countryCallingCode ?? "",
  national: number?.nationalNumber ?? "",
}));

/**
 * Numbers of every kind: an example with its last digits redrawn (up to 6; mostly still of the example's type, often
 * of another or of none), a digit longer or shorter at times.
 */
const numbers = fc
  .record({
    example: fc.constantFrom(...EXAMPLES),
    redrawn: fc.integer({ min: 0, max: 6 }),
    longer: fc.integer({ min: -1, max: 1 }),
    digits: fc.stringMatching(/^\d{7}$/),
  })
  .map(({ example, redrawn, longer, digits }) => {
    const head = example.national.slice(0, Math.max(0, example.national.length - redrawn));
    return `+${example.callingCode}${head}${digits.slice(0, Math.max(0, redrawn + longer))}`;
  });

/** libphonenumber's own answer, and ours, for one E.164 text (undefined when it does not parse). */
function bothTypes(e164: string) {
  const parsed = parsePhoneNumberFromString(e164);
  return parsed && { library: parsed.getType(), ours: numberType(parsed) };
}

describe("numberType (libphonenumber's getType with compiled patterns)", () => {
  it("gives the library's type for every country's example", () => {
    expect(EXAMPLES.length).toBeGreaterThan(200);
    expect(EXAMPLES.every(({ national }) => national !== "")).toBe(true);
    for (const { callingCode, national } of EXAMPLES) {
      const types = bothTypes(`+${callingCode}${national}`);
      expect(types?.ours).toBe(types?.library);
    }
  });

  it("gives the library's type for numbers near them, of every kind", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(numbers, (e164) => {
        const types = bothTypes(e164);
        if (!types) return;
        seen.add(String(types.library));
        expect(types.ours).toBe(types.library);
      }),
      { numRuns: 20_000 },
    );
    // The runs reached the kinds the policy tells apart, invalid numbers included.
    for (const type of [
      "MOBILE",
      "FIXED_LINE",
      "FIXED_LINE_OR_MOBILE",
      "TOLL_FREE",
      "PREMIUM_RATE",
      "undefined",
    ]) {
      expect(seen).toContain(type);
    }
  });

  it("gives the library's type for the numbers the policy names", () => {
    for (const e164 of [
      ...OTHER_KINDS,
      "+919876543210", // mobile
      "+447700900123", // mobile (UK)
      "+919999", // too short
    ]) {
      const types = bothTypes(e164);
      expect(types?.ours, e164).toBe(types?.library);
    }
  });
});
