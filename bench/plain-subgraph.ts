/**
 * The plain subgraph every peer serves: the same SDL-first schema and one resolver that asks the upstream and
 * returns its fields. No validation, no limits, no logging. `fetch` or `undici.request` is the peer's choice.
 */
import { randomUUID } from "node:crypto";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse, type GraphQLSchema } from "graphql";
import { request } from "undici";

let url: string | undefined;
/** The upstream's send URL, from `PHONE_BASE_URL` as it is at the first call. */
const upstreamUrl = () => (url ??= `${process.env.PHONE_BASE_URL ?? ""}/auth/otp/request`);

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

type Ask = (phone: { phone: string }) => Promise<PhoneReply>;

/** `fetch`, as a team writing it in an afternoon would. */
export const askWithFetch: Ask = async (phone) => {
  const response = await fetch(upstreamUrl(), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(phone),
  });
  return (await response.json()) as PhoneReply;
};

/** `undici.request`, the client this subgraph uses. */
export const askWithUndici: Ask = async (phone) => {
  const reply = await request(upstreamUrl(), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(phone),
  });
  return (await reply.body.json()) as PhoneReply;
};

export function plainSubgraphSchema(ask: Ask): GraphQLSchema {
  const resolvers = {
    RequestOtpResult: { __resolveType: (value: { __typename: string }) => value.__typename },
    Mutation: {
      requestOtp: async (_: unknown, { input }: { input: { phone: { phone: string } } }) => {
        const reply = await ask(input.phone);
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
  return buildSubgraphSchema([{ typeDefs, resolvers }]);
}
