import { parsePhoneNumberFromString, type PhoneNumber, type PhoneNumberType } from "libphonenumber-js/max";

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

/** The last number asked about, with its facts. */
let lastFacts: { e164: string; facts: PhoneFacts } | undefined;

/**
 * The country and type of an E.164 number (`parsed`, when the caller has already parsed it: a parse is 3–4 µs and
 * 5.6 KB of garbage). Working out the type is the costly part (libphonenumber matches the number against each
 * type's pattern, about 8 µs), and a phone input's check and the policy ask about the same number in the same
 * synchronous step of one request: the last answer is kept, so the number is parsed and typed once.
 */
export function phoneFacts(e164: string, parsed?: PhoneNumber): PhoneFacts {
  if (lastFacts?.e164 === e164) return lastFacts.facts;
  const number = parsed ?? parsePhoneNumberFromString(e164);
  const facts = { country: number?.country ?? null, type: number?.getType() };
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
