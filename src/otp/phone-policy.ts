import {
  Metadata,
  parsePhoneNumberFromString,
  type PhoneNumber,
  type PhoneNumberType,
} from "libphonenumber-js/max";

/**
 * The number types of libphonenumber's full metadata (`libphonenumber-js/max`) that an operator may allow to
 * receive an OTP (`OTP_PHONE_ALLOWED_TYPES`).
 */
export const ALLOWABLE_NUMBER_TYPES = [
  "MOBILE",
  "FIXED_LINE_OR_MOBILE",
  "FIXED_LINE",
  "VOIP",
  "PERSONAL_NUMBER",
] as const satisfies readonly PhoneNumberType[];
export type AllowableNumberType = (typeof ALLOWABLE_NUMBER_TYPES)[number];

/**
 * Types that never receive an OTP, whatever the settings: the sender pays for them (premium rate, shared cost,
 * toll free, UAN) or they cannot read an SMS (pager, voicemail). SMS pumping aims at the first kind.
 */
export const REFUSED_NUMBER_TYPES = [
  "PREMIUM_RATE",
  "SHARED_COST",
  "TOLL_FREE",
  "UAN",
  "PAGER",
  "VOICEMAIL",
] as const satisfies readonly PhoneNumberType[];

/** Which phone destinations may receive an OTP. */
export interface PhonePolicy {
  /** ISO 3166-1 alpha-2 codes; null: any country. */
  allowedCountries: ReadonlySet<string> | null;
  allowedTypes: ReadonlySet<AllowableNumberType>;
}

/** The contract's defaults: any country, mobile numbers (and numbers whose plan cannot tell mobile from fixed). */
export const DEFAULT_PHONE_POLICY: PhonePolicy = {
  allowedCountries: null,
  allowedTypes: new Set(["MOBILE", "FIXED_LINE_OR_MOBILE"]),
};

/** What the policy makes of one E.164 number: its country, and a refusal a user understands, if any. */
export interface PhoneVerdict {
  /** The country the number belongs to (from the number itself), or null for a non-geographic number. */
  country: string | null;
  /** Why no OTP may go to it, or null when it may. */
  refusal: { reason: "country" | "numberType"; message: string } | null;
}

/** What libphonenumber's full metadata says of an E.164 number. */
interface PhoneFacts {
  /** The country the number belongs to, or null for a non-geographic number (or one that does not parse). */
  country: string | null;
  /** Its type; undefined when it is not a valid number (with full metadata, valid means "has a type"). */
  type: PhoneNumberType | undefined;
}

/**
 * The parts of libphonenumber's numbering plans that its own `getNumberType` reads (left out of its `.d.ts`, which
 * types only the plan's lengths and prefixes; `test/otp/number-type.test.ts` holds {@link numberType} to the
 * library's answer).
 */
interface NumberingPlans {
  selectNumberingPlan(countryOrCallingCode: string): void;
  nationalNumberPattern(): string;
  type(type: PhoneNumberType): { pattern(): string; possibleLengths(): number[] | undefined } | undefined;
}

const plans = new Metadata() as unknown as NumberingPlans;

/** Each pattern of the metadata compiled once (a few thousand at most: the metadata's own). */
const compiled = new Map<string, RegExp>();

function matchesEntirely(text: string, pattern: string): boolean {
  let expression = compiled.get(pattern);
  if (!expression) {
    expression = new RegExp(`^(?:${pattern})$`);
    compiled.set(pattern, expression);
  }
  return expression.test(text);
}

/** The types after FIXED_LINE, in the order libphonenumber tries them. */
const OTHER_TYPES: readonly PhoneNumberType[] = [
  "MOBILE",
  "PREMIUM_RATE",
  "TOLL_FREE",
  "SHARED_COST",
  "VOIP",
  "PERSONAL_NUMBER",
  "PAGER",
  "UAN",
  "VOICEMAIL",
];

function isOfType(nationalNumber: string, type: PhoneNumberType): boolean {
  const definition = plans.type(type);
  if (!definition?.pattern()) return false;
  const lengths = definition.possibleLengths();
  if (lengths && !lengths.includes(nationalNumber.length)) return false;
  return matchesEntirely(nationalNumber, definition.pattern());
}

/**
 * `number.getType()`, step for step as libphonenumber works it out, with each pattern compiled once: the library
 * builds a `new RegExp` from the pattern's text for every check (about 7 µs and 3 KB of garbage a number, against
 * 0.3 µs here).
 */
export function numberType(number: PhoneNumber): PhoneNumberType | undefined {
  plans.selectNumberingPlan(number.country ?? number.countryCallingCode);
  const national = number.nationalNumber;
  if (!matchesEntirely(national, plans.nationalNumberPattern())) return undefined;
  if (isOfType(national, "FIXED_LINE")) {
    const mobile = plans.type("MOBILE");
    // An empty (or absent) MOBILE pattern means the plan's mobile numbers are its fixed-line ones.
    if (!mobile || mobile.pattern() === "" || isOfType(national, "MOBILE")) return "FIXED_LINE_OR_MOBILE";
    return "FIXED_LINE";
  }
  return OTHER_TYPES.find((type) => isOfType(national, type));
}

/** The last number asked about, with its facts. */
let lastFacts: { e164: string; facts: PhoneFacts } | undefined;

/**
 * The country and type of an E.164 number (`parsed`, when the caller has already parsed it: a parse is 3–4 µs and
 * 5.6 KB of garbage). Working out the type is the costly part (the number is matched against each type's
 * pattern), and a phone input's check and the policy ask about the same number in the same
 * synchronous step of one request: the last answer is kept, so the number is parsed and typed once.
 */
export function phoneFacts(e164: string, parsed?: PhoneNumber): PhoneFacts {
  if (lastFacts?.e164 === e164) return lastFacts.facts;
  const number = parsed ?? parsePhoneNumberFromString(e164);
  const facts = { country: number?.country ?? null, type: number && numberType(number) };
  lastFacts = { e164, facts };
  return facts;
}

/** Judge a phone destination (E.164, already validated by its adapter). */
export function judgePhone(e164: string, policy: PhonePolicy): PhoneVerdict {
  const { country, type } = phoneFacts(e164);
  if (policy.allowedCountries && (country === null || !policy.allowedCountries.has(country))) {
    return {
      country,
      refusal: { reason: "country", message: "OTPs cannot be sent to phone numbers of this country." },
    };
  }
  if (type === undefined || !policy.allowedTypes.has(type as AllowableNumberType)) {
    return { country, refusal: { reason: "numberType", message: numberTypeMessage(type) } };
  }
  return { country, refusal: null };
}

function numberTypeMessage(type: PhoneNumberType | undefined): string {
  switch (type) {
    case "FIXED_LINE":
      return "This is a landline number; please use a mobile number.";
    case "PREMIUM_RATE":
    case "SHARED_COST":
    case "TOLL_FREE":
    case "UAN":
      return "OTPs cannot be sent to premium-rate, shared-cost, toll-free or service numbers; please use a mobile number.";
    default:
      return "OTPs cannot be sent to this kind of number; please use a mobile number.";
  }
}

/** The number range a phone belongs to: the number without its last `suffixDigits` digits. */
export function numberRange(e164: string, suffixDigits: number): string {
  return e164.slice(0, Math.max(1, e164.length - suffixDigits));
}
