import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { idempotencyKeyErrors } from "../../src/otp/idempotency.js";
import type { FieldError } from "../../src/otp/model.js";
import { UpstreamClient } from "../../src/providers/http-client.js";
import { createAdapters, PROVIDERS } from "../../src/providers/registry.js";
import { loadCases } from "../providers/contract.js";

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

/**
 * Each provider of the registry: its contract cases' input with every field set, and its adapter's parsing (made
 * from its cases' settings, as the service makes it); every string field of each is free text to test.
 */
const CASES = await loadCases();
const MEMBERS = PROVIDERS.flatMap(({ id, input }) => {
  const cases = CASES.get(id);
  if (!cases) return [];
  const config = loadConfig({
    OTP_MODE: "live",
    OTP_ALLOW_NO_ROUTER_SECRET: "true",
    ...cases.env("http://127.0.0.1:9"),
  });
  const adapter = createAdapters(
    config.providers,
    () => new UpstreamClient({ timeoutMs: 1000, maxBodyBytes: 1024 }),
  ).get(id);
  if (!adapter) throw new Error(`${id} is not configured by its cases' settings`);
  return [{ member: input.member, valid: cases.everyField, parse: (value: never) => adapter.parse(value) }];
});

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
    const gst = MEMBERS.find(({ member }) => member === "gst");
    expect(gst?.parse({ ...gst.valid, username: "उपयोगकर्ता-ユーザー-😀" } as never)).toMatchObject({
      ok: true,
    });
    expect(idempotencyKeyErrors("ключ-😀-مفتاح")).toEqual([]);
  });
});
