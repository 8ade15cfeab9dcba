/**
 * The provider contract, for every provider of the registry: each documented response over HTTP (a loopback
 * provider answering as its document shows) and through the sandbox (its magic inputs), the generic fault and
 * undocumented rows, and the documented request. The data of each provider is its `<id>.cases.ts`.
 */
import { describe, expect, it } from "vitest";
import { RequestOtpDocument, type RequestOtpInput } from "../__generated__/graphql.js";
import { GENERIC_RESPONSES } from "../../src/providers/mapping-tables.js";
import { PROVIDER_IDS, PROVIDERS } from "../../src/providers/registry.js";
import { NO_LOCAL_LIMITS, useTestApp } from "../helpers/app.js";
import { execute } from "../helpers/client.js";
import { useLoopbackProvider } from "../helpers/loopback-provider.js";
import { json, type UpstreamHandler } from "../helpers/upstream.js";
import { loadCases, type ProviderCases, type Reply } from "./contract.js";

const CASES = await loadCases();
const [FAULT, UNDOCUMENTED, AUTH] = GENERIC_RESPONSES;

const answer = (reply: Reply): UpstreamHandler => json(reply.status, reply.body, reply.headers);

it("every provider of the registry has its cases, for every documented response and magic input", () => {
  expect([...CASES.keys()].sort()).toEqual([...PROVIDER_IDS].sort());
  for (const provider of PROVIDERS) {
    const codes = provider.responses.map((row) => row.code).sort();
    const cases = CASES.get(provider.id);
    const { magic, unreachable } = provider.sandbox;
    expect(
      [...Object.keys(cases?.rows ?? {}), ...Object.keys(cases?.elsewhere ?? {})].sort(),
      provider.id,
    ).toEqual(codes);
    expect([...Object.keys(magic), ...Object.keys(unreachable ?? {})].sort(), provider.id).toEqual(codes);
  }
});

describe.each(PROVIDERS.map((provider) => [provider.id, provider] as const))("%s", (id, provider) => {
  const cases = CASES.get(id) as ProviderCases;
  const member = provider.input.member;
  const requestOtp = async (url: string, input: Record<string, unknown>) => {
    const { status, body } = await execute(url, RequestOtpDocument, {
      input: { [member]: input } as unknown as RequestOtpInput,
    });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    return body.data?.requestOtp;
  };

  describe("over HTTP, against a loopback provider", () => {
    const loopback = useLoopbackProvider((url) => ({ ...cases.env(url), OTP_PROVIDER_TIMEOUT_MS: "1000" }));

    async function send(handler: UpstreamHandler) {
      const { result } = await loopback.send(
        { [member]: cases.input } as unknown as RequestOtpInput,
        handler,
      );
      return result;
    }

    const overHttp = provider.responses.filter((row) => !(row.code in (cases.elsewhere ?? {})));
    it.each(overHttp.map((row) => [row.documented, row] as const))(
      "documented %s: the documented request, and the contract's answer",
      async (_documented, row) => {
        const { reply, expected, challenge } = cases.rows[row.code] ?? { reply: { status: 0, body: null } };
        const result = await send(answer(reply));
        expect(result).toMatchObject({ ...expected, __typename: row.outcome });
        if (result?.__typename === "OtpSent") {
          expect(result.challenge).toMatchObject({ provider: id, ...challenge });
        } else {
          expect(result).toMatchObject({ provider: id, message: row.message ?? row.documented });
        }
        expect(loopback.upstream.requests).toHaveLength(1);
        const [request] = loopback.upstream.requests;
        expect(request?.method).toBe("POST");
        expect(request?.url).toBe(cases.request.url);
        expect(request?.headers).toMatchObject({
          ...cases.request.headers,
          "content-type": "application/json",
        });
        expect(request?.json).toEqual(cases.request.json);
      },
    );

    it("a reply the document does not describe is UnexpectedProviderResponse with the HTTP status", async () => {
      for (const reply of cases.undocumented) {
        expect(await send(answer(reply)), JSON.stringify(reply)).toMatchObject({
          __typename: UNDOCUMENTED.outcome,
          provider: id,
          providerCode: String(reply.status),
          retryable: UNDOCUMENTED.retryable,
        });
      }
    });

    it("HTTP 401 or 403 with a body the document does not describe is ProviderAuthFailed with the HTTP status", async () => {
      for (const status of [401, 403]) {
        for (const body of [{ message: "Forbidden" }, "<html>Forbidden</html>", ""]) {
          expect(await send(json(status, body)), `${status} ${JSON.stringify(body)}`).toMatchObject({
            __typename: AUTH.outcome,
            provider: id,
            providerCode: String(status),
            retryable: AUTH.retryable,
          });
        }
      }
    });

    it("an undocumented 5xx is ProviderUnavailable with the HTTP status", async () => {
      for (const status of [502, 503]) {
        expect(await send(json(status, "<html>down</html>"))).toMatchObject({
          __typename: FAULT.outcome,
          provider: id,
          providerCode: String(status),
          retryable: FAULT.retryable,
        });
      }
    });

    it("no answer in time, or a reset connection, is ProviderUnavailable with no code, sent once", async () => {
      const silent = await send(() => {
        /* never answers */
      });
      expect(silent).toMatchObject({ __typename: FAULT.outcome, providerCode: null, retryable: true });
      expect(loopback.upstream.requests).toHaveLength(1);
      const reset = await send((_request, res) => {
        res.socket?.destroy();
      });
      expect(reset).toMatchObject({ __typename: FAULT.outcome, providerCode: null, retryable: true });
      expect(loopback.upstream.requests).toHaveLength(1);
    });
  });

  describe("through the sandbox", () => {
    const subgraph = useTestApp(NO_LOCAL_LIMITS);

    const reachable = provider.responses.filter((row) => row.code in provider.sandbox.magic);
    it.each(reachable.map((row) => [row.documented, row] as const))(
      "a magic input reaches documented %s",
      async (_documented, row) => {
        const result = await requestOtp(subgraph.url, provider.sandbox.magic[row.code]?.input ?? {});
        expect(result).toMatchObject({ ...cases.rows[row.code]?.expected, __typename: row.outcome });
        if (result?.__typename === "OtpSent") expect(result.challenge).toMatchObject({ provider: id });
        else expect(result).toMatchObject({ provider: id });
      },
    );
  });
});
