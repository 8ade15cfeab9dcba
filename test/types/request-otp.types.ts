/**
 * Type-level tests of the frontend types (`examples/__generated__`, from GraphQL Code Generator's client preset).
 * Nothing here runs: `tsc --noEmit` in `npm test` fails when a line marked `@ts-expect-error` compiles, and when any
 * other line does not.
 */
import type { RequestOtpInput, RequestOtpMutationVariables } from "../../examples/__generated__/graphql.js";
import { nextStep, requestOtp, type RequestOtpResult } from "../../examples/request-otp.js";
import type { OutcomeKind } from "../../src/otp/model.js";

type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const phone = { phone: "+919876543210", country: "IN", deviceId: "device-1" };
const gst = { gstin: "27AAPFU0939F1ZV", username: "user" };

// RequestOtpInput is @oneOf: exactly one member, enforced by the generated types.
export const oneMember: RequestOtpMutationVariables = { input: { phone } };
export const otherMember: RequestOtpInput = { gst };
export const twoMembers: RequestOtpMutationVariables = {
  // @ts-expect-error -- two members set
  input: { phone, gst },
};
export const noMember: RequestOtpMutationVariables = {
  // @ts-expect-error -- no member set
  input: {},
};
export const explicitNull: RequestOtpMutationVariables = {
  // @ts-expect-error -- a second member present, even as null
  input: { phone, gst: null },
};
export const viaClient = (url: string) =>
  // @ts-expect-error -- the example client takes the same exclusive variables
  requestOtp(url, { input: { phone, itr: { pan: "ABCPE1234F", password: "secret" } } });

// The result union is the use case's outcome set, member for member.
export const sameMembersAsTheModel: Equal<RequestOtpResult["__typename"], OutcomeKind> = true;

/** A `switch` on `__typename` that handles every member leaves `never`. */
export function exhaustive(result: RequestOtpResult): string {
  switch (result.__typename) {
    case "OtpSent":
      return result.challenge.id;
    case "InvalidInput":
      return result.fieldErrors.map((error) => error.field).join();
    case "RateLimited":
      return `${result.limitedBy} ${result.retryAfterSeconds ?? "?"}`;
    case "ProviderUnavailable":
      return String(result.retryAfterSeconds);
    case "HumanVerificationRequired":
      return `${result.verifier} ${result.siteKey} ${result.reason}`;
    case "AccountBlocked":
    case "AccountNotFound":
    case "ProviderAuthFailed":
    case "UnexpectedProviderResponse":
      return result.message;
    default: {
      const unhandled: never = result;
      return unhandled;
    }
  }
}

/** One member forgotten: the `never` check does not compile. */
export function forgetsOne(result: RequestOtpResult): string {
  switch (result.__typename) {
    case "OtpSent":
      return result.challenge.id;
    case "InvalidInput":
    case "RateLimited":
    case "ProviderUnavailable":
    case "AccountBlocked":
    case "AccountNotFound":
    case "ProviderAuthFailed":
    case "UnexpectedProviderResponse":
      return result.message;
    default: {
      // @ts-expect-error -- HumanVerificationRequired (added in the second round) is not handled
      const unhandled: never = result;
      return unhandled;
    }
  }
}

/** Member fields are only there once `__typename` says so. */
// @ts-expect-error -- fieldErrors exists on InvalidInput only
export type FieldErrorsOfAnyResult = RequestOtpResult["fieldErrors"];
export type FieldErrorsOfInvalidInput = Extract<
  RequestOtpResult,
  { __typename: "InvalidInput" }
>["fieldErrors"];

/** The example's handler is exhaustive too (it compiles, and it has a `never` default). */
export const handled: (result: RequestOtpResult) => ReturnType<typeof nextStep> = nextStep;
