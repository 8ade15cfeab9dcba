/**
 * The root fields' resolvers called directly. type-graphql's resolver for a field turns its arguments into
 * instances of their classes (recursively, input by input) and runs its middleware, validation and auth steps
 * before calling the method, on every request: a tenth of what Apollo Server's pipeline costs per request here.
 * This schema has no middleware, validation (`validate: false`) or auth, and the methods read the arguments'
 * plain fields (graphql-js has already coerced and checked them, `@oneOf` included), so those steps change
 * nothing; the classes still define the SDL.
 */
import type { GraphQLFieldResolver } from "graphql";
import { ChallengeResolver } from "./challenge.resolver.js";
import type { GraphQLContext } from "./context.js";
import { RequestOtpResolver, type RequestOtpArgs } from "./request-otp.resolver.js";

type Resolvers = Record<string, object>;

/** `resolvers` (type-graphql's map) with `Mutation.requestOtp` and `Query.otpChallenge` calling their methods. */
export function directResolvers(resolvers: Resolvers): Resolvers {
  const requestOtp = new RequestOtpResolver();
  const challenges = new ChallengeResolver();
  const mutation: GraphQLFieldResolver<unknown, GraphQLContext, RequestOtpArgs> = (_, args, context) =>
    requestOtp.requestOtp(args, context);
  const otpChallenge: GraphQLFieldResolver<unknown, GraphQLContext, { id: string }> = (_, { id }, context) =>
    challenges.otpChallenge(id, context);
  return {
    ...resolvers,
    Mutation: { ...resolvers.Mutation, requestOtp: mutation },
    Query: { ...resolvers.Query, otpChallenge },
  };
}
