import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOtpSchema } from "../../src/graphql/schema.js";
import { post } from "../helpers/client.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";
import { startCapturedApp, type CapturedApp } from "../observability/capture.js";

const ROUTER_SECRET = "a-router-secret-for-client-errors";
const AUTHORIZED = { "router-authorization": ROUTER_SECRET };
const TYPO = '{ otpChalenge(id: "x") { id } }';
const INPUT_TYPO =
  'mutation { requestOtp(input: { phone: { phon: "+919812345670", country: "IN", deviceId: "d" } }) { __typename } }';
const ENTITIES = "query ($r: [_Any!]!) { _entities(representations: $r) { ... on OtpChallenge { id } } }";

describe("what clients are told, in development and in production", () => {
  let upstream: Upstream;
  let development: CapturedApp;
  let production: CapturedApp;
  beforeAll(async () => {
    upstream = await startUpstream();
    [development, production] = await Promise.all([
      startCapturedApp(),
      startCapturedApp({ NODE_ENV: "production", PHONE_BASE_URL: upstream.url, ROUTER_SECRET }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([development.close(), production.close()]);
    await upstream.close();
  });

  it("suggests names outside production only", async () => {
    for (const query of [TYPO, INPUT_TYPO]) {
      const open = await post(development.url, { query });
      expect(open.body.errors?.some((error) => error.message.includes("Did you mean"))).toBe(true);
      const hidden = await post(production.url, { query }, AUTHORIZED);
      const messages = hidden.body.errors?.map((error) => error.message) ?? [];
      expect(messages.length).toBeGreaterThan(0);
      for (const message of messages) {
        expect(message).not.toContain("Did you mean");
        expect(message).not.toMatch(/"otpChallenge"|"phone"/);
        expect(message).not.toMatch(/OtpInput|OtpChallenge|"Query"|"Mutation"/);
      }
    }
  });

  it("names no field or type the client did not write in production, where graphql-js would", async () => {
    const missing =
      'mutation { requestOtp(input: { phone: { country: "IN", deviceId: "d" } }) { __typename } }';
    const open = await post(development.url, { query: missing });
    expect(open.body.errors?.map((error) => error.message)).toContain(
      'Field "PhoneOtpInput.phone" of required type "String!" was not provided.',
    );
    const hidden = await post(production.url, { query: missing }, AUTHORIZED);
    expect(hidden.body.errors?.map((error) => error.message)).toEqual(["A required field was not provided."]);
  });

  it.each([
    ["an unknown type", { __typename: "Nope", id: "x" }],
    ["a type that is no entity", { __typename: "Mutation", id: "x" }],
    ["no __typename", { id: "x" }],
  ])("answers a representation of %s as the client's error, and logs it", async (_name, representation) => {
    for (const [app, headers] of [
      [development, {}],
      [production, AUTHORIZED],
    ] as const) {
      const before = app.lines().length;
      const { status, body } = await post(
        app.url,
        { query: ENTITIES, variables: { r: [{ __typename: "OtpChallenge", id: "y" }, representation] } },
        headers,
      );
      expect(status).toBe(200);
      expect(body.errors).toEqual([
        {
          message: "representations[1] has no __typename of an entity of this subgraph.",
          path: ["_entities"],
          locations: [{ line: 1, column: 24 }],
          extensions: { code: "BAD_USER_INPUT" },
        },
      ]);
      const logged = app.lines().slice(before);
      expect(logged.filter((line) => line.msg === "unknown entity type")).toHaveLength(1);
    }
  });

  it("still resolves a known entity (null for an unknown id)", async () => {
    const { body } = await post(development.url, {
      query: ENTITIES,
      variables: { r: [{ __typename: "OtpChallenge", id: "unknown" }] },
    });
    expect(body).toEqual({ data: { _entities: [null] } });
  });

  it("never sends a stack trace, in either mode", async () => {
    for (const [app, headers] of [
      [development, {}],
      [production, AUTHORIZED],
    ] as const) {
      for (const query of [TYPO, "{", ENTITIES]) {
        const { body } = await post(app.url, { query, variables: { r: [{ __typename: "Nope" }] } }, headers);
        expect(body.errors?.length).toBeGreaterThan(0);
        expect(JSON.stringify(body)).not.toMatch(/stacktrace|\.ts:\d+|at \w+ \(/);
      }
    }
  });

  it("names no schema type the client did not write in any production message", async () => {
    const schema = await buildOtpSchema();
    const names = Object.keys(schema.getTypeMap()).filter(
      (name) => !name.startsWith("__") && !["String", "Int", "Float", "Boolean", "ID"].includes(name),
    );
    const dmt = (otpType: string) =>
      `mutation { requestOtp(input: { dmt: { customerMobileNumber: "9812345670", otpType: ${otpType}, username: "u" } }) { __typename } }`;
    const cases: [string, Record<string, unknown>?][] = [
      [dmt("THIRD")],
      [dmt('"1"')],
      [dmt("1")],
      [
        'mutation ($t: DmtOtpType!) { requestOtp(input: { dmt: { customerMobileNumber: "9812345670", otpType: $t, username: "u" } }) { __typename } }',
        { t: "THIRD" },
      ],
      [
        'mutation ($t: String!) { requestOtp(input: { dmt: { customerMobileNumber: "9812345670", otpType: $t, username: "u" } }) { __typename } }',
        { t: "1" },
      ],
      ['mutation { requestOtp(input: { phone: { phone: "+919812345670", country: "IN", deviceId: "d" } }) }'],
      [
        'mutation { requestOtp(input: { phone: { phone: "+919812345670", country: "IN", deviceId: "d" } }) { __typename { x } } }',
      ],
      ['query { otpChallenge(id: "x") { provider { x } } }'],
      ['query { otpChallenge(id: "x") { id provider: destinationHint provider } }'],
      [
        'mutation { requestOtp(input: { phone: { phone: "+919812345670", country: "IN", deviceId: "d" } }) { ... on Query { __typename } } }',
      ],
      ["{ nope }"],
    ];
    for (const [query, variables] of cases) {
      const { body } = await post(production.url, { query, variables }, AUTHORIZED);
      const messages = body.errors?.map((error) => error.message) ?? [];
      expect(messages.length, query).toBeGreaterThan(0);
      for (const name of names.filter((name) => !query.includes(name))) {
        for (const message of messages) expect(message, query).not.toContain(`"${name}`);
      }
    }
  });
});
