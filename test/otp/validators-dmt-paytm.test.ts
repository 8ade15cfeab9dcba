import { validateHeaderValue } from "node:http";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  hasVerhoeffCheckDigit,
  normaliseAadhaar,
  verhoeffCheckDigit,
} from "../../src/otp/validators/aadhaar.js";
import { isIpAddress, isLatLong } from "../../src/otp/validators/geo-ip.js";
import { normaliseIndianMobile } from "../../src/otp/validators/indian-mobile.js";
import { parseDmtInput, type DmtOtpFields } from "../../src/providers/dmt/input.js";
import { parsePaytmInput, type PaytmOtpFields } from "../../src/providers/paytm/input.js";
import { dmt as dmtProvider } from "../../src/providers/dmt/index.js";
import { paytm as paytmProvider } from "../../src/providers/paytm/index.js";

const digit = (min = 0, max = 9) => fc.integer({ min, max }).map(String);
const digits = (length: number) =>
  fc.array(digit(), { minLength: length, maxLength: length }).map((d) => d.join(""));

/** A valid Aadhaar: first digit 2–9, ten more, and the Verhoeff check digit. */
const aadhaar = fc
  .tuple(digit(2, 9), digits(10))
  .map(([first, rest]) => `${first}${rest}`)
  .map((body) => `${body}${verhoeffCheckDigit(body)}`);

/** A valid Indian mobile's bare 10 digits. */
const mobile = fc.tuple(digit(6, 9), digits(9)).map(([first, rest]) => `${first}${rest}`);

/** Spaces or dashes slipped in between characters. */
function withSeparators(value: string) {
  return fc
    .array(fc.constantFrom("", "", "", " ", "-", "  "), { minLength: value.length, maxLength: value.length })
    .map((separators) =>
      value
        .split("")
        .map((char, i) => `${char}${separators[i] ?? ""}`)
        .join(""),
    );
}

/** Strings of any size and alphabet: binary, graphemes, near-misses made of digits and separators. */
const anyString = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme", maxLength: 64 }),
  fc.string({ unit: "binary", minLength: 4_000, maxLength: 12_000 }),
  fc.stringMatching(/^[-+0-9 ,.:]{0,40}$/),
);

describe("Aadhaar (Verhoeff)", () => {
  it("matches the published Verhoeff examples", () => {
    expect(verhoeffCheckDigit("236")).toBe("3");
    expect(hasVerhoeffCheckDigit("2363")).toBe(true);
    expect(verhoeffCheckDigit("12345")).toBe("1");
    expect(hasVerhoeffCheckDigit("123451")).toBe(true);
    expect(verhoeffCheckDigit("75872")).toBe("2");
    expect(verhoeffCheckDigit("142857")).toBe("0");
    expect(verhoeffCheckDigit("8473643095483728456789")).toBe("2");
  });

  it("refuses the seed's sample number, whose check digit is wrong", () => {
    expect(normaliseAadhaar("765386439745")).toBeNull();
    expect(normaliseAadhaar("765386439748")).toBe("765386439748");
  });

  it("accepts every generated valid Aadhaar, bare or with spaces and dashes", () => {
    fc.assert(
      fc.property(
        aadhaar.chain((number) => fc.tuple(fc.constant(number), withSeparators(number))),
        ([number, written]) => {
          expect(normaliseAadhaar(number)).toBe(number);
          expect(normaliseAadhaar(written)).toBe(number);
        },
      ),
    );
  });

  it("refuses every single-digit change to a valid Aadhaar", () => {
    fc.assert(
      fc.property(
        aadhaar,
        fc.integer({ min: 0, max: 11 }),
        fc.integer({ min: 1, max: 9 }),
        (number, at, shift) => {
          const changed = String((Number(number[at]) + shift) % 10);
          const typo = `${number.slice(0, at)}${changed}${number.slice(at + 1)}`;
          expect(typo).not.toBe(number);
          expect(normaliseAadhaar(typo)).toBeNull();
        },
      ),
    );
  });

  it("refuses every swap of two different adjacent digits", () => {
    fc.assert(
      fc.property(aadhaar, fc.integer({ min: 0, max: 10 }), (number, at) => {
        fc.pre(number[at] !== number[at + 1]);
        const swapped = `${number.slice(0, at)}${number[at + 1] ?? ""}${number[at] ?? ""}${number.slice(at + 2)}`;
        expect(normaliseAadhaar(swapped)).toBeNull();
      }),
    );
  });

  it("refuses numbers starting 0 or 1, and any other length", () => {
    for (const first of ["0", "1"]) {
      const body = `${first}2345678901`;
      expect(normaliseAadhaar(`${body}${verhoeffCheckDigit(body)}`)).toBeNull();
    }
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{0,30}$/).filter((value) => value.length !== 12),
        (value) => {
          expect(normaliseAadhaar(value)).toBeNull();
        },
      ),
    );
  });
});

describe("Indian mobile", () => {
  const notation = mobile.chain((bare) =>
    fc.tuple(
      fc.constant(bare),
      fc.constantFrom("", "+91", "+91 ", "+91-", "0", "0 "),
      withSeparators(bare),
      fc.constantFrom("", " ", "  "),
    ),
  );

  it("accepts every valid mobile in each accepted notation and gives its bare 10 digits", () => {
    fc.assert(
      fc.property(notation, ([bare, prefix, written, padding]) => {
        expect(normaliseIndianMobile(`${padding}${prefix}${written}${padding}`)).toBe(bare);
      }),
    );
  });

  it("refuses numbers starting 0–5, wrong lengths, other country codes and other digit systems", () => {
    fc.assert(
      fc.property(digit(0, 5), digits(9), (first, rest) => {
        expect(normaliseIndianMobile(`${first}${rest}`)).toBeNull();
      }),
    );
    for (const value of ["987654321", "98765432101", "+92 9876543210", "91 9876543210", "00919876543210"]) {
      expect(normaliseIndianMobile(value)).toBeNull();
    }
    expect(normaliseIndianMobile("９８７６５４３２１０")).toBeNull();
    expect(normaliseIndianMobile("٩٨٧٦٥٤٣٢١٠")).toBeNull();
  });
});

describe("latLong and IP", () => {
  const decimal = (max: number, places: number) =>
    fc
      .tuple(fc.integer({ min: -max * 10 ** places, max: max * 10 ** places }), fc.boolean())
      .map(([units, spaced]) => [(units / 10 ** places).toFixed(places), spaced] as const);

  it("accepts any two decimals within ±180, the document's sample among them, up to 15 decimal places", () => {
    fc.assert(
      fc.property(decimal(180, 4), decimal(180, 6), ([a, spaced], [b]) => {
        expect(isLatLong(spaced ? ` ${a} , ${b} ` : `${a},${b}`)).toBe(true);
      }),
    );
    for (const value of ["123.23,21.345", "12.971598700000001,77.594562599999993", "+12,-180", "0,0"]) {
      expect(isLatLong(value), value).toBe(true);
    }
  });

  it("refuses a number beyond ±180, more than 15 decimal places, and other shapes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 181, max: 999 }), (beyond) => {
        expect(isLatLong(`${beyond},0`)).toBe(false);
        expect(isLatLong(`0,-${beyond}`)).toBe(false);
      }),
    );
    const values = [
      "12.9",
      "12.9,77.5,1",
      "12.9;77.5",
      "N12.9,E77.5",
      "1e1,2",
      ",",
      "12.,77",
      "1.1234567890123456,2",
    ];
    for (const value of values) expect(isLatLong(value), value).toBe(false);
  });

  it("accepts IPv4 and IPv6 addresses and refuses host names", () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
        expect(isIpAddress(ip)).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.domain(), (host) => {
        expect(isIpAddress(host)).toBe(false);
      }),
    );
  });
});

describe("arbitrary strings never make a validator throw", () => {
  it("the single-value validators", () => {
    fc.assert(
      fc.property(anyString, (value) => {
        expect([null, value.replace(/[\s-]/g, "")]).toContain(normaliseAadhaar(value));
        const bare = normaliseIndianMobile(value);
        expect(bare === null || /^[6-9]\d{9}$/.test(bare)).toBe(true);
        expect(typeof isLatLong(value)).toBe("boolean");
        expect(typeof isIpAddress(value)).toBe("boolean");
        expect(typeof hasVerhoeffCheckDigit(value)).toBe("boolean");
      }),
    );
  });

  it("parseDmtInput: refuses with field errors, or gives a request the document describes", () => {
    const optional = fc.option(anyString, { nil: null });
    const input: fc.Arbitrary<DmtOtpFields> = fc.record({
      customerMobileNumber: fc.oneof(anyString, mobile),
      otpType: fc.constantFrom("CUSTOMER_REGISTRATION", "TRANSACTION"),
      username: anyString,
      externalRefNumber: optional,
      requestedAmount: fc.option(fc.oneof(anyString, digits(4)), { nil: null }),
      ovdType: fc.oneof(anyString, fc.constant("Aadhaar Card")),
      ovdData: fc.option(fc.oneof(anyString, aadhaar), { nil: null }),
      latLong: optional,
      publicIp: fc.option(fc.oneof(anyString, fc.ipV4()), { nil: null }),
      paramA: optional,
      paramB: optional,
      paramC: optional,
    });
    fc.assert(
      fc.property(input, (dmt) => {
        const result = parseDmtInput(dmtProvider.binding, dmt);
        if (!result.ok) {
          expect(result.fieldErrors.length).toBeGreaterThan(0);
          for (const error of result.fieldErrors) expect(error.field).toMatch(/^dmt\.\w+$/);
          return;
        }
        const wire = result.value;
        expect(wire.customerMobileNumber).toMatch(/^[6-9]\d{9}$/);
        expect(wire.otpType).toBe(dmt.otpType === "TRANSACTION" ? "2" : "1");
        if (/aadha?ar/i.test(wire.ovdType) && wire.ovdData !== undefined) {
          expect(wire.ovdData).toMatch(/^[2-9]\d{11}$/);
        }
        for (const value of Object.values(wire)) expect(value).not.toBe("");
      }),
      { numRuns: 300 },
    );
  });

  it("parsePaytmInput: refuses with field errors, or gives a request that is safe to send as headers", () => {
    const input: fc.Arbitrary<PaytmOtpFields> = fc.record({
      phone: fc.oneof(anyString, mobile),
      deviceIdentifier: anyString,
      scopes: fc.option(fc.array(anyString, { maxLength: 20 }), { nil: null }),
      autoReadHash: fc.option(anyString, { nil: null }),
      locale: fc.option(fc.oneof(anyString, fc.constant("en-IN")), { nil: null }),
    });
    fc.assert(
      fc.property(input, (paytm) => {
        const result = parsePaytmInput(paytmProvider.binding, paytm, ["paytm"]);
        if (!result.ok) {
          expect(result.fieldErrors.length).toBeGreaterThan(0);
          for (const error of result.fieldErrors) expect(error.field).toMatch(/^paytm\.\w+(\.\d+)?$/);
          return;
        }
        expect(result.value.body.phone).toMatch(/^[6-9]\d{9}$/);
        expect(result.value.body.scopes.length).toBeGreaterThan(0);
        expect(result.value.deviceIdentifier).toMatch(/^[\x20-\x7e]+$/);
        expect(result.value.locale).toBe("en-IN");
        // Valid header values; anything else would make the HTTP client throw before the request leaves.
        expect(() => {
          validateHeaderValue("x-device-identifier", result.value.deviceIdentifier);
        }).not.toThrow();
        const hash = result.value.autoReadHash;
        if (hash !== null) {
          expect(() => {
            validateHeaderValue("autoReadHash", hash);
          }).not.toThrow();
        }
      }),
      { numRuns: 300 },
    );
  });
});
