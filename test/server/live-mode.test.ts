import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config.js";
import { startTestApp } from "../helpers/app.js";
import { post } from "../helpers/client.js";
import { json, startUpstream, type Upstream } from "../helpers/upstream.js";
import { startCapturedApp, type CapturedApp } from "../observability/capture.js";

const ROUTER_SECRET = "a-router-secret-of-32-characters";
const INTROSPECTION = "{ __schema { queryType { name } } }";
const TYPO = '{ otpChalenge(id: "x") { id } }';

describe("live mode without NODE_ENV=production", () => {
  let upstream: Upstream;
  let live: CapturedApp;
  let sandbox: CapturedApp;
  beforeAll(async () => {
    upstream = await startUpstream(json(200, { success: true, message: "sent" }));
    [live, sandbox] = await Promise.all([
      startCapturedApp({ PHONE_BASE_URL: upstream.url, ROUTER_SECRET }),
      startCapturedApp({ OTP_TRUST_PROXY: "1" }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([live.close(), sandbox.close()]);
    await upstream.close();
  });

  it("refuses to start without a router secret unless opted out", async () => {
    await expect(
      startTestApp({ PHONE_BASE_URL: upstream.url, OTP_ALLOW_NO_ROUTER_SECRET: "false" }),
    ).rejects.toThrow(ConfigError);
    await expect(
      startTestApp({ PHONE_BASE_URL: upstream.url, OTP_ALLOW_NO_ROUTER_SECRET: "false" }),
    ).rejects.toThrow(/ROUTER_SECRET: required in live mode/);
  });

  it("requires the router secret on /graphql", async () => {
    expect((await post(live.url, { query: "{ __typename }" })).status).toBe(401);
  });

  it("has introspection, Apollo Sandbox and suggestions off; the sandbox keeps them", async () => {
    const headers = { "router-authorization": ROUTER_SECRET };
    const introspection = await post(live.url, { query: INTROSPECTION }, headers);
    expect(introspection.body.errors?.[0]?.message).toMatch(/introspection is off/i);
    const typo = await post(live.url, { query: TYPO }, headers);
    expect(JSON.stringify(typo.body)).not.toContain("Did you mean");
    const landing = await fetch(live.url, { headers: { ...headers, accept: "text/html" } });
    expect(await landing.text()).not.toMatch(/sandbox|<html/i);

    expect((await post(sandbox.url, { query: INTROSPECTION })).body.data).toEqual({
      __schema: { queryType: { name: "Query" } },
    });
    expect(JSON.stringify((await post(sandbox.url, { query: TYPO })).body)).toContain("Did you mean");
    const sandboxLanding = await fetch(sandbox.url, { headers: { accept: "text/html" } });
    expect(await sandboxLanding.text()).toMatch(/<html/i);
  });

  it("names an unknown variable at start in sandbox mode, with the setting it is closest to", () => {
    expect(
      sandbox
        .lines()
        .filter((line) => line.level === 40)
        .map((line) => line.msg),
    ).toContain(
      "unknown variable OTP_TRUST_PROXY (did you mean TRUST_PROXY?): ignored (docs/settings.md lists every setting)",
    );
  });

  it("refuses an unknown variable in live mode", async () => {
    await expect(startTestApp({ PHONE_BASE_URL: upstream.url, OTP_TRUST_PROXY: "1" })).rejects.toThrow(
      /unknown variable OTP_TRUST_PROXY \(did you mean TRUST_PROXY\?\): unset or rename/,
    );
  });
});
