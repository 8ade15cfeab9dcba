/** The `gst` member of `RequestOtpInput`: its GraphQL input type, and its validation into the wire request. */
import { Field, InputType } from "type-graphql";
import type { Parsed } from "../../otp/ports.js";
import type { ProviderBinding } from "../binding.js";
import type { Fields } from "../descriptor.js";
import { gstinProblems, normaliseGstin } from "../../otp/validators/gstin.js";
import type { GstWireRequest } from "./adapter.js";

@InputType({ description: "Ask the GST portal for an OTP for a GSTIN's registered user." })
export class GstOtpInput {
  @Field(() => String, { description: "The 15-character GSTIN, with its check character." })
  gstin!: string;

  @Field(() => String, { description: "The username registered on the GST portal." })
  username!: string;
}

/** The `gst` input as it arrives. */
export type GstOtpFields = Fields<GstOtpInput>;

/** Length caps of the raw input (the GSTIN is checked for exactly 15 characters after trimming). */
const LIMITS = { gstin: 32, username: 64 };

/** A GSTIN of any structure (state code, shape, check character) and a username; every failure at once. */
export function parseGstInput(provider: ProviderBinding, input: GstOtpFields): Parsed<GstWireRequest> {
  const errors = provider.fieldErrors();
  const rawGstin = errors.text("gstin", input.gstin, { max: LIMITS.gstin, required: true });
  const username = errors.text("username", input.username, { max: LIMITS.username, required: true });

  const gstin = rawGstin ? normaliseGstin(rawGstin) : "";
  if (rawGstin) for (const problem of gstinProblems(gstin)) errors.add("gstin", problem);
  if (username && /\p{Cf}/u.test(username)) {
    errors.add("username", "Must not contain invisible formatting characters.");
  }
  return errors.result(() => ({ task: "getOtp", essentials: { gstin, username: username ?? "" } }));
}
