/** `RequestOtpResult`: the union of `OtpSent` and the typed errors (`OtpError`). */
import { createUnionType, Field, Int, InterfaceType, ObjectType } from "type-graphql";
import type { OutcomeKind } from "../otp/model.js";
import type { ProviderId } from "../providers/registry.js";
import { OtpChallenge } from "./challenge.js";
import { HumanVerificationReason, HumanVerifierKind, OtpProvider, RateLimitSource } from "./enums.js";
import type * as verification from "../otp/human-verification.js";

@ObjectType({ description: "The OTP was sent." })
export class OtpSent {
  @Field(() => OtpChallenge, { description: "The challenge the user now has to answer." })
  challenge!: OtpChallenge;
}

@InterfaceType({
  description: "Why no OTP was sent.",
  resolveType: (value: { kind: OutcomeKind }) => value.kind,
})
export abstract class OtpError {
  @Field(() => String, { description: "Safe to show an end user: no upstream internals, no secrets." })
  message!: string;

  @Field(() => OtpProvider, { description: "The provider the request was for." })
  provider!: ProviderId;

  @Field(() => String, {
    nullable: true,
    description:
      "The provider's documented code or HTTP status that produced this; null when raised by this service.",
  })
  providerCode?: string | null;

  @Field(() => Boolean, {
    description: "Whether the same request may succeed later without changing the input or calling support.",
  })
  retryable!: boolean;
}

@ObjectType({ description: "One failing input field." })
export class FieldError {
  @Field(() => String, { description: 'The path of the field in RequestOtpInput, e.g. "dmt.ovdData".' })
  field!: string;

  @Field(() => String, { description: "What is wrong with it." })
  message!: string;
}

@ObjectType({ implements: OtpError, description: "The input was refused, here or by the provider." })
export class InvalidInput extends OtpError {
  @Field(() => [FieldError], { description: "Every failing field; empty when the provider named none." })
  fieldErrors!: FieldError[];
}

@ObjectType({ implements: OtpError, description: "Too many requests; try again later." })
export class RateLimited extends OtpError {
  @Field(() => Int, { nullable: true, description: "Seconds to wait before trying again, when known." })
  retryAfterSeconds?: number | null;

  @Field(() => RateLimitSource, { description: "Whose limit was reached." })
  limitedBy!: keyof typeof RateLimitSource;
}

@ObjectType({
  implements: OtpError,
  description: "The provider has blocked the account; the user must contact the provider.",
})
export class AccountBlocked extends OtpError {}

@ObjectType({ implements: OtpError, description: "The provider knows no such account." })
export class AccountNotFound extends OtpError {}

@ObjectType({
  implements: OtpError,
  description: "The provider refused this service's credentials or permissions; operators must act.",
})
export class ProviderAuthFailed extends OtpError {}

@ObjectType({
  implements: OtpError,
  description: "The provider is down, slow, not configured, or its circuit is open.",
})
export class ProviderUnavailable extends OtpError {
  @Field(() => Int, { nullable: true, description: "Seconds to wait before trying again, when known." })
  retryAfterSeconds?: number | null;
}

@ObjectType({
  implements: OtpError,
  description: "The provider answered something its documentation does not describe.",
})
export class UnexpectedProviderResponse extends OtpError {
  @Field(() => String, {
    nullable: true,
    description:
      "The provider's own status text, where its reply had one: at most 200 characters, markup and control characters removed, and nothing this service sent in it.",
  })
  providerMessage?: string | null;
}

@ObjectType({
  implements: OtpError,
  description:
    "Prove a person is asking first: show the verifier's widget with `siteKey`, then repeat the request with its token as `humanProof`. Nothing was sent or counted.",
})
export class HumanVerificationRequired extends OtpError {
  @Field(() => HumanVerifierKind, { description: "Which verifier's widget to show." })
  verifier!: verification.HumanVerifierKind;

  @Field(() => String, { description: "The verifier's public site key to render the widget with." })
  siteKey!: string;

  @Field(() => HumanVerificationReason, { description: "Why a proof is asked for." })
  reason!: verification.HumanVerificationReason;
}

/** What `requestOtp` answers. */
export const RequestOtpResult = createUnionType({
  name: "RequestOtpResult",
  description: "The OTP was sent, or why not.",
  types: () =>
    [
      OtpSent,
      InvalidInput,
      RateLimited,
      AccountBlocked,
      AccountNotFound,
      ProviderAuthFailed,
      ProviderUnavailable,
      UnexpectedProviderResponse,
      HumanVerificationRequired,
    ] as const,
  // Resolvers return the use case's outcomes, whose `kind` is the member's name.
  resolveType: (value) => (value as unknown as { kind: OutcomeKind }).kind,
});
