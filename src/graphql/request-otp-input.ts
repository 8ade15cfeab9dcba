/** `RequestOtpInput`: one member per provider of the registry, with that provider's input class. */
import { Directive, Field, InputType } from "type-graphql";
import { PROVIDERS } from "../providers/registry.js";

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
