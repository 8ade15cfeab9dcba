import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { RequestOtpDocument } from "./__generated__/graphql.js";
import { NO_LOCAL_LIMITS, startTestApp, type TestApp } from "./helpers/app.js";
import { execute } from "./helpers/client.js";
import { json, startUpstream, type Upstream } from "./helpers/upstream.js";
import { phoneInput } from "./state/fixtures.js";
import { configRefusal } from "./helpers/config.js";

const CURRENT = "router-secret-new-0123456789abcdefghij";
const PREVIOUS = "router-secret-old-0123456789abcdefghij";
const SENT = json(200, { success: true, message: "request processed successfully", data: { otp: 111222 } });

describe("ROUTER_SECRET_PREVIOUS (router secret rotation)", () => {
  let upstream: Upstream;
  let subgraph: TestApp;
  beforeAll(async () => {
    upstream = await startUpstream(SENT);
    subgraph = await startTestApp({
      ...NO_LOCAL_LIMITS,
      PHONE_BASE_URL: upstream.url,
      ROUTER_SECRET: CURRENT,
      ROUTER_SECRET_PREVIOUS: PREVIOUS,
    });
  });
  afterAll(async () => {
    await subgraph.close();
    await upstream.close();
  });

  const send = (secret: string | null, suffix: number) =>
    execute(
      subgraph.url,
      RequestOtpDocument,
      { input: phoneInput(suffix) },
      secret === null ? {} : { "router-authorization": secret },
    );
  const counts = async () => {
    const text = await (await fetch(`${subgraph.origin}/metrics`)).text();
    const count = (secret: string) =>
      Number(new RegExp(`^otp_router_auth_total\\{secret="${secret}"\\} (\\d+)$`, "m").exec(text)?.[1] ?? 0);
    return { current: count("current"), previous: count("previous"), refused: count("refused") };
  };

  it("accepts both secrets, refuses anything else, and counts which one each request used", async () => {
    const before = await counts();
    expect((await send(CURRENT, 1)).body.data?.requestOtp.__typename).toBe("OtpSent");
    expect((await send(PREVIOUS, 2)).body.data?.requestOtp.__typename).toBe("OtpSent");
    expect((await send(PREVIOUS, 3)).body.data?.requestOtp.__typename).toBe("OtpSent");
    for (const wrong of [null, `${PREVIOUS}x`, PREVIOUS.slice(0, -1), "wrong"]) {
      expect((await send(wrong, 4)).status).toBe(401);
    }
    expect(upstream.requests).toHaveLength(3);
    const after = await counts();
    expect({
      current: after.current - before.current,
      previous: after.previous - before.previous,
      refused: after.refused - before.refused,
    }).toEqual({ current: 1, previous: 2, refused: 4 });
  });
});

describe("ROUTER_SECRET_PREVIOUS settings", () => {
  it("takes the same length rule as ROUTER_SECRET, and never its value in a message", () => {
    expect(configRefusal({ ROUTER_SECRET: CURRENT, ROUTER_SECRET_PREVIOUS: "short-old-secret" })).toMatch(
      /^ROUTER_SECRET_PREVIOUS: at least 32 characters/,
    );
    expect(loadConfig({ ROUTER_SECRET: CURRENT, ROUTER_SECRET_PREVIOUS: PREVIOUS })).toMatchObject({
      routerSecret: CURRENT,
      routerSecretPrevious: PREVIOUS,
    });
    expect(loadConfig({ ROUTER_SECRET: CURRENT }).routerSecretPrevious).toBeNull();
  });

  it("refuses a previous secret without a current one, or equal to it", () => {
    expect(configRefusal({ ROUTER_SECRET_PREVIOUS: PREVIOUS })).toBe(
      "ROUTER_SECRET_PREVIOUS: only with ROUTER_SECRET (the secret the router moves to)",
    );
    expect(configRefusal({ ROUTER_SECRET: CURRENT, ROUTER_SECRET_PREVIOUS: CURRENT })).toMatch(
      /^ROUTER_SECRET_PREVIOUS: the same as ROUTER_SECRET/,
    );
  });
});
