/** `OtpChallenge`: the entity of an OTP that was sent. */
import { GraphQLDateTimeISO } from "graphql-scalars";
import { Directive, Field, ID, Int, ObjectType } from "type-graphql";
import type { ProviderId } from "../providers/registry.js";
import { OtpProvider } from "./enums.js";

@Directive('@key(fields: "id")')
@ObjectType({ description: "An OTP that was sent: where (masked), when, and when another may be asked for." })
export class OtpChallenge {
  @Field(() => ID, { description: "Unguessable id of this challenge." })
  id!: string;

  @Field(() => OtpProvider, { description: "The provider that sent the OTP." })
  provider!: ProviderId;

  @Field(() => String, {
    description:
      "Where the OTP went, masked: never more than the last 4 digits of a phone; PAN and GSTIN partly masked.",
  })
  destinationHint!: string;

  @Field(() => GraphQLDateTimeISO, { description: "When the provider accepted the request." })
  sentAt!: Date;

  @Field(() => GraphQLDateTimeISO, {
    nullable: true,
    description:
      "When the OTP stops being valid, where the provider documents it (DMT CUSTOMER_REGISTRATION: 10 minutes).",
  })
  expiresAt?: Date | null;

  @Field(() => GraphQLDateTimeISO, {
    description:
      "The earliest time another OTP may be asked for: the later of the local cooldown and the provider's resend gap.",
  })
  resendAvailableAt!: Date;

  @Field(() => Int, {
    nullable: true,
    description:
      "How many tries the user has to enter the OTP, where documented (DMT CUSTOMER_REGISTRATION: 5).",
  })
  attemptsAllowed?: number | null;

  @Field(() => String, { nullable: true, description: "The provider's own message about the send." })
  providerMessage?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "The OTP itself, in sandbox mode only; always null in live mode.",
  })
  devOtp?: string | null;

  @Directive("@inaccessible")
  @Field(() => String, {
    nullable: true,
    description:
      "The provider's handle for this OTP (GST appKey, Paytm state_token, DMT externalRefNumber), for other subgraphs.",
  })
  providerReference?: string | null;
}
