/** The `itr` member of `RequestOtpInput`: its GraphQL input type, and its validation into the wire request. */
import { Field, InputType } from "type-graphql";
import { textProblem } from "../../otp/field-errors.js";
import type { Parsed } from "../../otp/ports.js";
import type { ProviderBinding } from "../binding.js";
import type { Fields } from "../descriptor.js";
import { normalisePan, panProblems } from "../../otp/validators/pan.js";
import type { ItrWireRequest } from "./adapter.js";

@InputType({ description: "Ask the income-tax portal (through KwikID) for an OTP." })
export class ItrOtpInput {
  @Field(() => String, { description: "The PAN, `AAAAA9999A`." })
  pan!: string;

  @Field(() => String, {
    description: "The income-tax portal password. Sent to the provider only; never logged or stored.",
  })
  password!: string;
}

/** The `itr` input as it arrives. */
export type ItrOtpFields = Fields<ItrOtpInput>;

const LIMITS = { pan: 32, password: 128 };

/** A PAN with a valid holder type, and a password sent exactly as typed; every failure at once. */
export function parseItrInput(provider: ProviderBinding, input: ItrOtpFields): Parsed<ItrWireRequest> {
  const errors = provider.fieldErrors();
  const rawPan = errors.text("pan", input.pan, { max: LIMITS.pan, required: true });
  const pan = rawPan ? normalisePan(rawPan) : "";
  if (rawPan) for (const problem of panProblems(pan)) errors.add("pan", problem);

  // Not trimmed: spaces may be part of a password. The messages never quote it.
  const { password } = input;
  if (password.trim() === "") errors.add("password", "Required.");
  else if (password.length > LIMITS.password)
    errors.add("password", `At most ${LIMITS.password} characters.`);
  else {
    const problem = textProblem(password);
    if (problem) errors.add("password", problem);
  }

  return errors.result(() => ({ pan, password }));
}
