import { describe, expect, it } from "vitest";
import { idempotencyKeyErrors } from "../../src/otp/idempotency.js";
import type { FieldError } from "../../src/otp/model.js";
import { parseDmtInput } from "../../src/providers/dmt/input.js";
import { parseGstInput } from "../../src/providers/gst/input.js";
import { parseItrInput } from "../../src/providers/itr/input.js";
import { parsePaytmInput } from "../../src/providers/paytm/input.js";
import { parsePhoneInput } from "../../src/providers/phone/input.js";
import type { Parsed } from "../../src/otp/ports.js";
import { PROVIDERS } from "../../src/providers/registry.js";
import { dmt as dmtProvider } from "../../src/providers/dmt/index.js";
import { gst as gstProvider } from "../../src/providers/gst/index.js";
import { itr as itrProvider } from "../../src/providers/itr/index.js";
import { paytm as paytmProvider } from "../../src/providers/paytm/index.js";
import { phone as phoneProvider } from "../../src/providers/phone/index.js";

/** Text no field takes: a lone surrogate, control characters, bidi overrides and isolates. */
const ILL_FORMED = {
  "a lone high surrogate": "\ud800",
  "a lone low surrogate": "\udfff",
  "a NUL": "\u0000",
  "an escape": "\u001b[31m",
  "a DEL": "\u007f",
  "a right-to-left override": "\u202e",
  "a left-to-right isolate": "\u2066",
  "a right-to-left mark": "\u200f",
  "an Arabic letter mark": "\u061c",
};

/** One valid input per provider, and how to parse it; every string field of each is free text to test. */
const MEMBERS: { member: string; valid: Record<string, string>; parse: (input: never) => Parsed<unknown> }[] =
  [
    {
      member: gstProvider.input.member,
      valid: { gstin: "27AAPFU0939F1ZV", username: "gst-user" },
      parse: (input: never) => parseGstInput(gstProvider.binding, input),
    },
    {
      member: itrProvider.input.member,
      valid: { pan: "ABCPE1234F", password: "Portal-Passw0rd" },
      parse: (input: never) => parseItrInput(itrProvider.binding, input),
    },
    {
      member: dmtProvider.input.member,
      valid: {
        customerMobileNumber: "9123456780",
        otpType: "CUSTOMER_REGISTRATION",
        username: "agent-one",
        ovdType: "Aadhaar Card",
        ovdData: "234123412346",
        latLong: "19.07,72.87",
        publicIp: "203.0.113.7",
        paramA: "a",
        paramB: "b",
        paramC: "c",
      },
      parse: (input: never) => parseDmtInput(dmtProvider.binding, input),
    },
    {
      member: paytmProvider.input.member,
      valid: {
        phone: "9988776655",
        deviceIdentifier: "device-paytm",
        autoReadHash: "hash123",
        locale: "en-IN",
      },
      parse: (input: never) => parsePaytmInput(paytmProvider.binding, input, ["paytm"]),
    },
    {
      member: phoneProvider.input.member,
      valid: { phone: "+919812345670", country: "IN", deviceId: "device-phone" },
      parse: (input: never) => parsePhoneInput(phoneProvider.binding, input),
    },
  ];

const cases = MEMBERS.flatMap(({ member, valid, parse }) =>
  Object.keys(valid)
    .filter((field) => field !== "otpType")
    .flatMap((field) =>
      Object.entries(ILL_FORMED).map(([what, text]) => ({ member, field, what, text, valid, parse })),
    ),
);

describe("free text", () => {
  it("has a valid input for every provider of the registry", () => {
    expect(MEMBERS.map(({ member }) => member)).toEqual(PROVIDERS.map(({ input }) => input.member));
  });

  it("accepts the valid inputs these cases start from", () => {
    for (const { valid, parse } of MEMBERS) expect(parse(valid as never)).toMatchObject({ ok: true });
  });

  it.each(cases)("refuses $what in $member.$field", ({ member, field, text, valid, parse }) => {
    const parsed = parse({ ...valid, [field]: `${valid[field] ?? ""}${text}x` } as never);
    expect(parsed.ok).toBe(false);
    const errors: FieldError[] = parsed.ok ? [] : parsed.fieldErrors;
    expect(errors.map((error) => error.field)).toContain(`${member}.${field}`);
  });

  it.each(Object.entries(ILL_FORMED))("refuses %s in the idempotency key", (_what, text) => {
    expect(idempotencyKeyErrors(`key-${text}-1`)).toEqual([
      { field: "idempotencyKey", message: expect.stringMatching(/^Must /) as string },
    ]);
  });

  it("keeps letters of every script, and emoji made of surrogate pairs", () => {
    expect(
      parseGstInput(gstProvider.binding, { gstin: "27AAPFU0939F1ZV", username: "उपयोगकर्ता-ユーザー-😀" }),
    ).toMatchObject({
      ok: true,
    });
    expect(idempotencyKeyErrors("ключ-😀-مفتاح")).toEqual([]);
  });
});
