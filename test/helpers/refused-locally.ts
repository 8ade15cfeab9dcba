import { expect } from "vitest";
import {
  RequestOtpDocument,
  type RequestOtpInput,
  type RequestOtpMutation,
} from "../__generated__/graphql.js";
import { execute } from "./client.js";

type Result = RequestOtpMutation["requestOtp"];

/**
 * Send `input` and check what every local refusal looks like: HTTP 200, `InvalidInput` of `provider` with
 * `providerCode: null` and `retryable: false`. Returns the failing fields, in order, and the raw body.
 */
export async function refusedLocally(
  url: string,
  input: RequestOtpInput,
  provider: string,
): Promise<{ fields: string[]; body: unknown }> {
  const { status, body } = await execute(url, RequestOtpDocument, { input });
  expect(status).toBe(200);
  const result: Result | undefined = body.data?.requestOtp;
  if (result?.__typename !== "InvalidInput") {
    throw new Error(`expected InvalidInput, got ${JSON.stringify(body).slice(0, 300)}`);
  }
  expect(result).toMatchObject({ provider, providerCode: null, retryable: false });
  return { fields: result.fieldErrors.map((error) => error.field), body };
}
