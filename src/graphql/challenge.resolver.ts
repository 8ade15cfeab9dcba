import { Arg, Ctx, ID, Query, Resolver } from "type-graphql";
import type { Challenge } from "../otp/model.js";
import type { GraphQLContext } from "./context.js";
import { OtpChallenge } from "./challenge.js";

/** Reading a challenge back, e.g. to show when another OTP may be asked for. */
@Resolver()
export class ChallengeResolver {
  @Query(() => OtpChallenge, {
    nullable: true,
    description:
      "A challenge by its id, while it is kept (one hour after the send); null when unknown or expired. Never shows the OTP.",
  })
  async otpChallenge(
    @Arg("id", () => ID, { description: "The id `requestOtp` answered with." }) id: string,
    @Ctx() context: GraphQLContext,
  ): Promise<Challenge | null> {
    return context.challenges.load(id);
  }
}
