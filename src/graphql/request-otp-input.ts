/** `RequestOtpInput`: one member per provider of the registry, with that provider's input class. */
import { Directive, Field, InputType } from "type-graphql";
import type { ProviderRequest } from "../otp/ports.js";
import { PROVIDERS, type ProviderId } from "../providers/registry.js";

/** The provider that sends the OTP, with its input; exactly one member is set (`@oneOf`). */
export class RequestOtpInput {
  [member: string]: unknown;
}

for (const { input } of PROVIDERS) {
  Field(() => input.type, { nullable: true, description: input.description })(
    RequestOtpInput.prototype,
    input.member,
  );
}
InputType({
  description: "The provider that sends the OTP, with its input. Exactly one member must be set.",
})(RequestOtpInput);
Directive("@oneOf")(RequestOtpInput);

/** The provider of each `RequestOtpInput` member. */
const PROVIDER_OF: ReadonlyMap<string, ProviderId> = new Map(
  PROVIDERS.map(({ id, input }) => [input.member, id]),
);

/**
 * What the use case is asked for: the provider of the one member set, with that member's input. graphql-js has
 * already refused zero or two members (`@oneOf`) before a resolver runs (its arguments are plain objects).
 */
export function providerRequest(input: Readonly<Record<string, unknown>>): ProviderRequest {
  const set = Object.keys(input).filter((member) => input[member] != null);
  const [member] = set;
  const provider = member === undefined ? undefined : PROVIDER_OF.get(member);
  if (member === undefined || provider === undefined || set.length > 1) {
    throw new TypeError("RequestOtpInput must have exactly one member of a known provider set");
  }
  return { provider, input: input[member] };
}
