/**
 * The peer: the plain subgraph a team could write in an afternoon. SDL-first `@apollo/server` +
 * `@apollo/subgraph`, its standalone server, one resolver that fetches the upstream and returns its fields.
 * No validation, no limits, no logging.
 */
import { randomUUID } from "node:crypto";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";

const upstream = process.env.PHONE_BASE_URL ?? "";

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Query { ok: Boolean }
  input PhoneOtpInput { phone: String!, country: String!, deviceId: String! }
  input RequestOtpInput { phone: PhoneOtpInput }
  type OtpChallenge @key(fields: "id") { id: ID!, destinationHint: String!, devOtp: String, providerMessage: String }
  type OtpSent { challenge: OtpChallenge! }
  type Failed { message: String! }
  type RateLimited { message: String! }
  union RequestOtpResult = OtpSent | Failed | RateLimited
  type Mutation { requestOtp(input: RequestOtpInput!, idempotencyKey: String): RequestOtpResult! }
`);

interface PhoneReply {
  success: boolean;
  message: string;
  data?: { otp?: number };
}

const resolvers = {
  RequestOtpResult: { __resolveType: (value: { __typename: string }) => value.__typename },
  Mutation: {
    requestOtp: async (_: unknown, { input }: { input: { phone: { phone: string } } }) => {
      const response = await fetch(`${upstream}/auth/otp/request`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(input.phone),
      });
      const reply = (await response.json()) as PhoneReply;
      if (!reply.success) return { __typename: "Failed", message: reply.message };
      return {
        __typename: "OtpSent",
        challenge: {
          id: randomUUID(),
          destinationHint: input.phone.phone.slice(-4),
          devOtp: String(reply.data?.otp ?? ""),
          providerMessage: reply.message,
        },
      };
    },
  },
};

const server = new ApolloServer({ schema: buildSubgraphSchema([{ typeDefs, resolvers }]) });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(process.env.PORT ?? 0), host: "127.0.0.1" },
});
process.stdout.write(`listening ${new URL(url).port}\n`);
process.on("SIGTERM", () => void server.stop().then(() => process.exit(0)));
