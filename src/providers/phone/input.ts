/** The `phone` member of `RequestOtpInput`: its GraphQL input type, and its validation into the wire request. */
import { isSupportedCountry, parsePhoneNumberFromString } from "libphonenumber-js/max";
import { Field, InputType } from "type-graphql";
import { phoneFacts } from "../../otp/phone-policy.js";
import type { Parsed } from "../../otp/ports.js";
import type { ProviderBinding } from "../binding.js";
import type { Fields } from "../descriptor.js";
import type { PhoneWireRequest } from "./adapter.js";

@InputType({ description: "Ask the phone sign-in provider to send an OTP." })
export class PhoneOtpInput {
  @Field(() => String, {
    description: "The phone number in international format (E.164), e.g. `+919876543210`.",
  })
  phone!: string;

  @Field(() => String, { description: "The ISO 3166-1 alpha-2 country of the number, e.g. `IN`." })
  country!: string;

  @Field(() => String, { description: "A stable identifier of the user's device." })
  deviceId!: string;
}

/** The `phone` input as it arrives. */
export type PhoneOtpFields = Fields<PhoneOtpInput>;

const LIMITS = { phone: 32, country: 2, deviceId: 128 };

/** E.164 that parses as a valid number of `country` (ISO 3166-1 alpha-2). */
export function parsePhoneInput(provider: ProviderBinding, input: PhoneOtpFields): Parsed<PhoneWireRequest> {
  const errors = provider.fieldErrors();
  const phone = errors.text("phone", input.phone, { max: LIMITS.phone, required: true });
  const rawCountry = errors.text("country", input.country, { max: LIMITS.country, required: true });
  const deviceId = errors.text("deviceId", input.deviceId, { max: LIMITS.deviceId, required: true });

  const country = rawCountry?.toUpperCase();
  const knownCountry = country && isSupportedCountry(country) ? country : undefined;
  if (country && !knownCountry) errors.add("country", "Not an ISO 3166-1 alpha-2 country code.");

  let e164: string | undefined;
  if (phone) {
    const parsed = /^\+[\d\s().-]+$/.test(phone) ? parsePhoneNumberFromString(phone) : undefined;
    // Valid means "has a type" with full metadata; asked through `phoneFacts`, which the phone policy asks next.
    if (!parsed || phoneFacts(parsed.number, parsed).type === undefined) {
      errors.add("phone", "Not a valid phone number in international format (E.164, e.g. +919876543210).");
    } else if (knownCountry && parsed.country !== knownCountry) {
      // The number says where it belongs; `country` only confirms it.
      errors.add("country", `The phone number is not a number of ${knownCountry}.`);
    } else {
      e164 = parsed.number;
    }
  }
  return errors.result(() => ({ phone: e164 ?? "", country: knownCountry ?? "", deviceId: deviceId ?? "" }));
}
