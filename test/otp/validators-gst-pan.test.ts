import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseGstInput } from "../../src/providers/gst/input.js";
import { parseItrInput } from "../../src/providers/itr/input.js";
import {
  GST_STATE_CODES,
  gstinCheckCharacter,
  gstinProblems,
  gstinStructure,
  isValidGstin,
  normaliseGstin,
} from "../../src/otp/validators/gstin.js";
import { isValidPan, normalisePan, PAN_HOLDER_TYPES, panProblems } from "../../src/otp/validators/pan.js";
import { gst as gstProvider } from "../../src/providers/gst/index.js";
import { itr as itrProvider } from "../../src/providers/itr/index.js";

const ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LETTERS = ALPHANUMERIC.slice(10);
const char = (alphabet: string) => fc.constantFrom(...Array.from(alphabet));
const chars = (alphabet: string, length: number) =>
  fc.array(char(alphabet), { minLength: length, maxLength: length }).map((list) => list.join(""));

/** Any valid PAN: 3 letters, a holder type, a letter, 4 digits, a letter. */
const validPan = fc
  .tuple(
    chars(LETTERS, 3),
    fc.constantFrom(...Object.keys(PAN_HOLDER_TYPES)),
    chars(LETTERS, 1),
    chars("0123456789", 4),
    chars(LETTERS, 1),
  )
  .map((parts) => parts.join(""));

/** Any valid GSTIN: a state code, a valid PAN, an entity character, any 14th character, the check character. */
const validGstin = fc
  .tuple(fc.constantFrom(...GST_STATE_CODES), validPan, char(ALPHANUMERIC.slice(1)), char(ALPHANUMERIC))
  .map((parts) => parts.join(""))
  .map((first14) => `${first14}${gstinCheckCharacter(first14) ?? "?"}`);

/** Strings of any size and alphabet: ASCII, full unicode with surrogates, control characters, long ones. */
const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(...Array.from("0123456789ABCDEFZ \t\n\u0000\u200dßſı")), maxLength: 20 }),
  fc.string({ unit: "grapheme", minLength: 1000, maxLength: 12_000 }),
);

describe("GSTIN", () => {
  it("accepts GSTINs issued to real taxpayers, in any case and with surrounding spaces", () => {
    for (const gstin of ["27AAPFU0939F1ZV", "29AAGCB7383J1Z4", "07AAGFF2194N1Z1", " 33aaach7409r1z8 "]) {
      expect(gstinProblems(normaliseGstin(gstin)), gstin).toEqual([]);
    }
  });

  it.each([
    ["pan", "27AAPFU0939F1ZV", "a firm's PAN, 14th character Z"],
    ["pan", "29AAACE1234F1CD", "an e-commerce operator collecting tax (TCS): a PAN, 14th character C"],
    ["taxDeductor", "07DELA12345B1DE", "a tax deductor (TDS): a TAN, 14th character D"],
    ["taxDeductor", "33CHEA01234G1DI", "a tax deductor in state 33"],
    ["governmentDepartment", "09LKNG01234A1ZB", "a government department: a TAN-shaped id, a digit, Z"],
    ["nonResident", "0720USA00001NRN", "a non-resident taxable person: year, country, number, NR"],
    ["onlineServicesFromAbroad", "9917SGP29001OST", "online services from abroad (OIDAR): state code 99, OS"],
    ["unBodyOrEmbassy", "0717UNO00157UNO", "a UN body: year, UNO, number, UN"],
    ["unBodyOrEmbassy", "0718DEU00012ON2", "an embassy or other notified person: ON"],
  ] as const)("accepts a %s GSTIN (%s: %s)", (structure, gstin, _holder) => {
    expect(gstinProblems(gstin)).toEqual([]);
    expect(gstinStructure(gstin)).toBe(structure);
  });

  it.each([
    [
      "99AAPFU0939F1Z",
      "Characters 1–2 must be a GST state code (01–38 or 97; 99 only for online services from abroad).",
    ],
    [
      "2717SGP29001OS",
      "Characters 1–2 must be 99 in the GSTIN of a provider of online services from abroad.",
    ],
    [
      "07DELA1234XB1D",
      "Characters 3–12 must be the tax deductor's TAN (4 letters, 5 digits and a letter) or PAN.",
    ],
    ["07DELA12345B0D", "Character 13 must be the entity number, 1–9 or A–Z."],
    [
      "0720US100001NR",
      "Characters 3–12 must be a 2-digit year, a 3-letter country code and a 5-digit number (a GSTIN ending in NR).",
    ],
    [
      "07X7UNO00157UN",
      "Characters 3–12 must be a 2-digit year, a 3-letter country code and a 5-digit number (a GSTIN ending in UN).",
    ],
    ["09LKNG01234A1Y", "Characters 3–12 must be the holder's PAN: 5 letters, 4 digits and a letter."],
  ])("refuses %s with its check character: %s", (first14, problem) => {
    // With the right check character, the one problem is the structure's.
    expect(gstinProblems(`${first14}${gstinCheckCharacter(first14)}`)).toEqual([problem]);
  });

  it("checks the PAN's holder type only where characters 3–12 are a PAN", () => {
    // The 6th character of a TAN, a department id or a foreign registration is no holder type.
    for (const gstin of ["07DELX12345B1DK", "0720XYZ00001NRS"]) {
      const valid = `${gstin.slice(0, 14)}${gstinCheckCharacter(gstin.slice(0, 14))}`;
      expect(gstinProblems(valid), valid).toEqual([]);
    }
    const panWithBadHolderType = "27AAPXU0939F1Z";
    expect(gstinProblems(`${panWithBadHolderType}${gstinCheckCharacter(panWithBadHolderType)}`)).toEqual([
      "Character 6 (the PAN's 4th) must be a PAN holder type (P, C, H, A, B, G, J, L, F or T).",
    ]);
  });

  it("accepts every generated valid GSTIN", () => {
    fc.assert(
      fc.property(validGstin, (gstin) => {
        expect(gstinProblems(gstin)).toEqual([]);
        expect(gstinProblems(normaliseGstin(` ${gstin.toLowerCase()}\t`))).toEqual([]);
      }),
    );
  });

  it("rejects every single-character change to a valid GSTIN", () => {
    fc.assert(
      fc.property(
        validGstin,
        fc.nat({ max: 14 }),
        fc.oneof(char(ALPHANUMERIC), fc.string({ unit: "binary", minLength: 1, maxLength: 1 })),
        (gstin, position, replacement) => {
          // A lower-case letter is the same character once normalised.
          fc.pre(normaliseGstin(replacement) !== gstin.charAt(position));
          const changed = normaliseGstin(gstin.slice(0, position) + replacement + gstin.slice(position + 1));
          expect(isValidGstin(changed), changed).toBe(false);
        },
      ),
    );
  });

  it("explains each failure, all at once", () => {
    expect(gstinProblems("00AAPXU0939F0ZV")).toEqual([
      "Characters 1–2 must be a GST state code (01–38 or 97; 99 only for online services from abroad).",
      "Character 6 (the PAN's 4th) must be a PAN holder type (P, C, H, A, B, G, J, L, F or T).",
      "Character 13 must be the entity number, 1–9 or A–Z.",
      "Character 15 does not match the check character of the first 14; look for a typo.",
    ]);
    expect(gstinProblems("27AAP1U0939F1ZV")).toEqual([
      "Characters 3–12 must be the holder's PAN: 5 letters, 4 digits and a letter.",
      "Character 15 does not match the check character of the first 14; look for a typo.",
    ]);
    expect(gstinProblems("27AAPFU0939F1ZX")).toEqual([
      "Character 15 does not match the check character of the first 14; look for a typo.",
    ]);
    expect(gstinProblems("27AAPFU0939F1Z")).toEqual(["Must be 15 characters; this has 14."]);
    expect(gstinProblems("27AAPFU0939F1Z-")).toEqual([
      "Must contain only the letters A–Z and the digits 0–9.",
    ]);
  });

  it("folds only ASCII letters to upper case", () => {
    expect(normaliseGstin("  27aapfu0939f1zv ")).toBe("27AAPFU0939F1ZV");
    // "ſ".toUpperCase() is "S": a look-alike must not become a valid GSTIN.
    expect(normaliseGstin("ſ")).toBe("ſ");
  });

  it("never throws, whatever the string", () => {
    fc.assert(
      fc.property(anyString, (text) => {
        const normalised = normaliseGstin(text);
        expect(Array.isArray(gstinProblems(normalised))).toBe(true);
        expect(typeof isValidGstin(text)).toBe("boolean");
        const check = gstinCheckCharacter(text);
        expect(check === undefined || /^[0-9A-Z]$/.test(check)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe("PAN", () => {
  it("accepts every generated valid PAN, in any case and with surrounding spaces", () => {
    fc.assert(
      fc.property(validPan, (pan) => {
        expect(panProblems(pan)).toEqual([]);
        expect(isValidPan(normalisePan(`  ${pan.toLowerCase()} `))).toBe(true);
      }),
    );
  });

  it("rejects a 4th letter that is no holder type, and any other shape", () => {
    const others = Array.from(LETTERS).filter((letter) => !Object.hasOwn(PAN_HOLDER_TYPES, letter));
    for (const letter of others) {
      expect(panProblems(`ABC${letter}E1234F`)).toEqual([
        "The 4th letter must be a PAN holder type (P, C, H, A, B, G, J, L, F or T).",
      ]);
    }
    for (const pan of [
      "ABCPE1234",
      "ABCPE12345",
      "1BCPE1234F",
      "ABCPE1234FF",
      "ABCPE12A4F",
      "ABCPÉ1234F",
      "",
    ]) {
      expect(panProblems(pan), pan).toEqual(["Must be 5 letters, 4 digits and a letter, like ABCPE1234F."]);
    }
  });

  it("never throws, whatever the string", () => {
    fc.assert(
      fc.property(anyString, (text) => {
        expect(Array.isArray(panProblems(normalisePan(text)))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe("the GST and ITR input parsers", () => {
  it("report every failing field at once", () => {
    expect(parseGstInput(gstProvider.binding, { gstin: "27AAPFU0939F1ZX", username: "" })).toEqual({
      ok: false,
      fieldErrors: [
        { field: "gst.username", message: "Required." },
        {
          field: "gst.gstin",
          message: "Character 15 does not match the check character of the first 14; look for a typo.",
        },
      ],
    });
    expect(parseItrInput(itrProvider.binding, { pan: "ABCXE1234F", password: " " })).toEqual({
      ok: false,
      fieldErrors: [
        {
          field: "itr.pan",
          message: "The 4th letter must be a PAN holder type (P, C, H, A, B, G, J, L, F or T).",
        },
        { field: "itr.password", message: "Required." },
      ],
    });
  });

  it("normalise the GSTIN and PAN, and send the password exactly as typed", () => {
    expect(
      parseGstInput(gstProvider.binding, { gstin: " 27aapfu0939f1zv", username: " user.name " }),
    ).toEqual({
      ok: true,
      value: { task: "getOtp", essentials: { gstin: "27AAPFU0939F1ZV", username: "user.name" } },
    });
    expect(parseItrInput(itrProvider.binding, { pan: "abcpe1234f ", password: " p@ss word " })).toEqual({
      ok: true,
      value: { pan: "ABCPE1234F", password: " p@ss word " },
    });
  });

  it("never throw and never quote the password, whatever the strings", () => {
    fc.assert(
      fc.property(anyString, anyString, (a, b) => {
        const gst = parseGstInput(gstProvider.binding, { gstin: a, username: b });
        const itr = parseItrInput(itrProvider.binding, { pan: b, password: a });
        expect(typeof gst.ok).toBe("boolean");
        if (!itr.ok && a.length >= 4) {
          for (const error of itr.fieldErrors) expect(error.message).not.toContain(a);
        }
      }),
      { numRuns: 200 },
    );
  });
});
