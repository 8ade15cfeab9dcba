import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INTROSPECTION_OFF_MESSAGE } from "../../src/graphql/format-error.js";
import { SUBGRAPH_SDL_PATH } from "../../src/graphql/schema.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { post } from "../helpers/client.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";

const INTROSPECTION = "{ __schema { queryType { name } } }";

describe("introspection in production, and the SDL a gateway reads", () => {
  let upstream: Upstream;
  let closed: TestApp;
  let open: TestApp;
  beforeAll(async () => {
    upstream = await startUpstream();
    const production = {
      NODE_ENV: "production",
      PHONE_BASE_URL: upstream.url,
      OTP_ALLOW_NO_ROUTER_SECRET: "true",
    };
    [closed, open] = await Promise.all([
      startTestApp(production),
      startTestApp({ ...production, INTROSPECTION: "true" }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([closed.close(), open.close()]);
    await upstream.close();
  });

  it("is off by default in production", async () => {
    const { body } = await post(closed.url, { query: INTROSPECTION });
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    // Our words, naming the setting; not Apollo's advice to change the server's code.
    expect(body.errors?.[0]?.message).toBe(INTROSPECTION_OFF_MESSAGE);
  });

  it("is on in production with INTROSPECTION=true", async () => {
    const { body } = await post(open.url, { query: INTROSPECTION });
    expect(body).toEqual({ data: { __schema: { queryType: { name: "Query" } } } });
  });

  it("still serves `_service { sdl }` (what IntrospectAndCompose and rover read) with introspection off", async () => {
    const { body } = await post<{ _service: { sdl: string } }>(closed.url, { query: "{ _service { sdl } }" });
    expect(body.errors).toBeUndefined();
    expect(`${body.data?._service.sdl.trimEnd() ?? ""}\n`).toBe(await readFile(SUBGRAPH_SDL_PATH, "utf8"));
  });
});
