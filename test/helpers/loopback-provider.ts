import { afterAll, beforeAll, expect, it } from "vitest";
import {
  RequestOtpDocument,
  type RequestOtpInput,
  type RequestOtpMutation,
} from "../__generated__/graphql.js";
import { NO_LOCAL_LIMITS, startTestApp, type TestApp } from "./app.js";
import { execute, post, type GraphQLResponse } from "./client.js";
import { refusedLocally } from "./refused-locally.js";
import { json, startUpstream, type Upstream, type UpstreamHandler } from "./upstream.js";

/** A subgraph configured for one provider, pointing at a loopback upstream that records what reaches it. */
export interface LoopbackProvider {
  readonly upstream: Upstream;
  readonly subgraph: TestApp;
  /**
   * Answer the next upstream request with `handler`, send `input`, and check the GraphQL answer is HTTP 200 with
   * no errors; returns the `requestOtp` result and the whole body.
   */
  send(
    input: RequestOtpInput,
    handler: UpstreamHandler,
  ): Promise<{
    result: RequestOtpMutation["requestOtp"] | undefined;
    body: GraphQLResponse<RequestOtpMutation>["body"];
  }>;
  /** `input` is refused locally (see `refusedLocally`) and nothing reaches the upstream. */
  refused(input: RequestOtpInput, provider: string): Promise<{ fields: string[]; body: unknown }>;
  /** Each of `values` as the `member` input is BAD_USER_INPUT (HTTP 200, no data), and nothing reaches the upstream. */
  expectBadUserInput(member: string, values: readonly unknown[]): Promise<void>;
}

/**
 * The provider whose variables `env` gives (from the upstream's URL), with the local limits off, started before
 * the calling suite's tests and closed after them. The upstream answers `initial` until told otherwise.
 */
export function useLoopbackProvider(
  env: (baseUrl: string) => Record<string, string>,
  initial: UpstreamHandler = json(200, {}),
): LoopbackProvider {
  let upstream: Upstream | undefined;
  let subgraph: TestApp | undefined;
  beforeAll(async () => {
    upstream = await startUpstream(initial);
    subgraph = await startTestApp({ ...env(upstream.url), ...NO_LOCAL_LIMITS });
  });
  afterAll(async () => {
    await subgraph?.close();
    await upstream?.close();
  });
  const started = () => {
    if (!upstream || !subgraph) throw new Error("the loopback provider starts in beforeAll");
    return { upstream, subgraph };
  };
  return {
    get upstream() {
      return started().upstream;
    },
    get subgraph() {
      return started().subgraph;
    },
    async send(input, handler) {
      const { upstream, subgraph } = started();
      upstream.requests.length = 0;
      upstream.respond(handler);
      const { status, body } = await execute(subgraph.url, RequestOtpDocument, { input });
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      return { result: body.data?.requestOtp, body };
    },
    async refused(input, provider) {
      const { upstream, subgraph } = started();
      upstream.requests.length = 0;
      const refused = await refusedLocally(subgraph.url, input, provider);
      expect(upstream.requests).toHaveLength(0);
      return refused;
    },
    async expectBadUserInput(member, values) {
      const { upstream, subgraph } = started();
      upstream.requests.length = 0;
      for (const value of values) {
        const { status, body } = await post(subgraph.url, {
          query: "mutation ($input: RequestOtpInput!) { requestOtp(input: $input) { __typename } }",
          variables: { input: { [member]: value } },
        });
        expect(status, JSON.stringify(value)).toBe(200);
        expect(body.data).toBeUndefined();
        expect(body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      }
      expect(upstream.requests).toHaveLength(0);
    },
  };
}

/** A bad input of a provider: what it is, the input, and the field (below the member) it must fail on. */
export type BadInput<Input> = readonly [name: string, input: Input, field: string];

/**
 * One test per bad input of `member`: refused locally with `<member>.<field>` among the failing fields, and
 * nothing sent; `check` runs on each refusal too.
 */
export function itRefusesEach<Input>(
  provider: LoopbackProvider,
  id: string,
  member: string,
  badInputs: readonly BadInput<Input>[],
  check: (refused: { fields: string[]; body: unknown }) => void = () => undefined,
): void {
  for (const [name, input, field] of badInputs) {
    it(`${name} is InvalidInput on ${member}.${field}`, async () => {
      const refused = await provider.refused({ [member]: input } as unknown as RequestOtpInput, id);
      expect(refused.fields).toContain(`${member}.${field}`);
      check(refused);
    });
  }
}
