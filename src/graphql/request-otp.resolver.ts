import { Args, ArgsType, Ctx, Field, Mutation, Resolver } from "type-graphql";
import type { OtpOutcome } from "../otp/model.js";
import type { GraphQLContext } from "./context.js";
import { providerRequest, RequestOtpInput } from "./request-otp-input.js";
import { RequestOtpResult } from "./results.js";

@ArgsType()
export class RequestOtpArgs {
  @Field(() => RequestOtpInput, { description: "The provider, with its input." })
  input!: RequestOtpInput;

  @Field(() => String, {
    nullable: true,
    description:
      "Repeat a request with the same key and input within 24 h to get the first answer again, with no second send.",
  })
  idempotencyKey?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "The token of the human verifier's widget, after `HumanVerificationRequired` asked for it (Turnstile, hCaptcha or reCAPTCHA). Checked once: a token cannot be used twice.",
  })
  humanProof?: string | null;
}

/** The one mutation of this subgraph. */
@Resolver()
export class RequestOtpResolver {
  @Mutation(() => RequestOtpResult, {
    description:
      "Ask a provider to send a one-time password. Answers OtpSent, or a typed reason why not; never throws for input or provider errors.",
  })
  async requestOtp(
    @Args(() => RequestOtpArgs) { input, idempotencyKey, humanProof }: RequestOtpArgs,
    @Ctx() context: GraphQLContext,
  ): Promise<typeof RequestOtpResult> {
    const outcome = await context.otp.requestOtp(providerRequest(input), {
      clientIp: context.clientIp,
      requestId: context.requestId,
      idempotencyKey: idempotencyKey ?? null,
      humanProof: humanProof ?? null,
    });
    return toResult(outcome) as typeof RequestOtpResult;
  }
}

/** The one place an outcome becomes a union member: `kind` is the member's name (see `resolveType`). */
function toResult(outcome: OtpOutcome): object {
  if (outcome.kind !== "OtpSent") return outcome;
  return { kind: outcome.kind, challenge: { ...outcome.challenge, devOtp: outcome.devOtp } };
}
