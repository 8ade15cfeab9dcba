/**
 * A frontend's side of `requestOtp`, typed by GraphQL Code Generator's client preset from
 * `operations/request-otp.graphql` (run `npm run codegen`). Copy it and swap `fetch` for your GraphQL client.
 */
import { print } from "graphql";
import {
  RequestOtpDocument,
  type RequestOtpMutation,
  type RequestOtpMutationVariables,
} from "./__generated__/graphql.js";

/** Every answer of `requestOtp`: discriminated by `__typename`. */
export type RequestOtpResult = RequestOtpMutation["requestOtp"];

/** A GraphQL-level failure (the request itself was refused, e.g. two input members set). */
export class GraphQLRequestError extends Error {
  override readonly name = "GraphQLRequestError";
  constructor(
    message: string,
    /** `extensions.code` of the first error, e.g. `BAD_USER_INPUT`. */
    readonly code: string | null,
  ) {
    super(message);
  }
}

/** Send `requestOtp` to a GraphQL endpoint (the gateway or router), and answer its typed result. */
export async function requestOtp(
  endpoint: string,
  variables: RequestOtpMutationVariables,
  headers: Record<string, string> = {},
): Promise<RequestOtpResult> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...headers },
    body: JSON.stringify({ query: print(RequestOtpDocument), variables }),
  });
  const body = (await response.json()) as {
    data?: RequestOtpMutation | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
  const [error] = body.errors ?? [];
  if (error || !body.data) {
    throw new GraphQLRequestError(
      error?.message ?? `HTTP ${response.status} without data`,
      error?.extensions?.code ?? null,
    );
  }
  return body.data.requestOtp;
}

/** What the screen shows next. */
export type NextStep =
  | { step: "enterOtp"; challengeId: string; sentTo: string; resendAt: Date }
  | { step: "fixFields"; message: string; fields: Record<string, string> }
  | { step: "waitAndRetry"; message: string; retryAfterSeconds: number | null }
  | { step: "contactProvider"; message: string }
  | {
      step: "proveHuman";
      message: string;
      /** Render this verifier's widget with `siteKey`, then call `requestOtp` again with its token as `humanProof`. */
      verifier: "TURNSTILE" | "HCAPTCHA" | "RECAPTCHA";
      siteKey: string;
    }
  | { step: "tryLater"; message: string };

/**
 * Every union member handled: adding a member to the schema makes this stop compiling (the `never` check),
 * so a frontend cannot forget one.
 */
export function nextStep(result: RequestOtpResult): NextStep {
  switch (result.__typename) {
    case "OtpSent":
      return {
        step: "enterOtp",
        challengeId: result.challenge.id,
        sentTo: result.challenge.destinationHint,
        resendAt: new Date(result.challenge.resendAvailableAt),
      };
    case "InvalidInput":
      return {
        step: "fixFields",
        message: result.message,
        fields: Object.fromEntries(result.fieldErrors.map(({ field, message }) => [field, message])),
      };
    case "RateLimited":
      return result.retryable
        ? { step: "waitAndRetry", message: result.message, retryAfterSeconds: result.retryAfterSeconds }
        : { step: "contactProvider", message: result.message };
    case "ProviderUnavailable":
      return result.retryable
        ? { step: "waitAndRetry", message: result.message, retryAfterSeconds: result.retryAfterSeconds }
        : { step: "tryLater", message: result.message };
    case "AccountBlocked":
    case "AccountNotFound":
      return { step: "contactProvider", message: result.message };
    case "ProviderAuthFailed":
    case "UnexpectedProviderResponse":
      return { step: "tryLater", message: result.message };
    case "HumanVerificationRequired":
      return {
        step: "proveHuman",
        message: result.message,
        verifier: result.verifier,
        siteKey: result.siteKey,
      };
    default:
      return unhandled(result);
  }
}

function unhandled(result: never): never {
  throw new Error(`unhandled requestOtp result ${JSON.stringify(result)}`);
}
