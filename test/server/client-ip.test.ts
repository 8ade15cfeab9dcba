import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { canonicalIp } from "../../src/server/client-ip.js";
import { execute } from "../helpers/client.js";
import { json, startUpstream, type Upstream } from "../helpers/upstream.js";
import { startCapturedApp, type CapturedApp } from "../observability/capture.js";
import { phoneInput } from "../state/fixtures.js";

describe("canonicalIp", () => {
  it.each([
    ["203.0.113.9", "203.0.113.9"],
    ["203.0.113.9:1234", "203.0.113.9"],
    ["::ffff:203.0.113.9", "203.0.113.9"],
    ["::FFFF:cb00:7109", "203.0.113.9"],
    ["[::ffff:cb00:7109]:443", "203.0.113.9"],
    ["0:0:0:0:0:ffff:cb00:7109", "203.0.113.9"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["[2001:db8::1]:443", "2001:db8::1"],
    ["[2001:0db8::0001]", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["fe80::1%eth0", "fe80::1"],
    ["::1", "::1"],
    // Valid IPv6 (its last group is 0x443), not an address and a port.
    ["2001:db8::1:443", "2001:db8::1:443"],
  ])("writes %s as %s", (text, canonical) => {
    expect(canonicalIp(text)).toBe(canonical);
  });

  it.each([
    "",
    "unknown",
    "0xcb.0.113.9",
    "0xcb007109",
    "3405803785",
    "203.0.113",
    "203.000.113.9",
    "203.0.113.9.1",
    "256.0.0.1",
    "203.0.113.9:",
    "203.0.113.9:port",
    "[203.0.113.9]",
    "[2001:db8::1",
    "2001:db8::g",
    " 203.0.113.9",
    "203.0.113.9, 198.51.100.1",
    "<script>",
  ])("takes %j for no address", (text) => {
    expect(canonicalIp(text)).toBeNull();
  });
});

describe("the client IP over HTTP, behind one trusted proxy", () => {
  let upstream: Upstream;
  let app: CapturedApp;
  beforeAll(async () => {
    upstream = await startUpstream(json(200, { success: true, message: "sent", data: { otp: 111222 } }));
    app = await startCapturedApp({
      PHONE_BASE_URL: upstream.url,
      TRUST_PROXY: "1",
      OTP_COOLDOWN_SECONDS: "0",
      OTP_MAX_PER_IP_PER_HOUR: "1",
    });
  });
  afterAll(async () => {
    await app.close();
    await upstream.close();
  });

  let suffix = 100;
  const sendAs = async (forwardedFor: string) => {
    suffix += 1;
    const { body } = await execute(
      app.url,
      RequestOtpDocument,
      { input: phoneInput(suffix, `device-${suffix}`) },
      { "x-forwarded-for": forwardedFor },
    );
    return body.data?.requestOtp.__typename;
  };

  it("counts every spelling of one address in one bucket", async () => {
    expect(await sendAs("203.0.113.9")).toBe("OtpSent");
    for (const spelling of [
      "::ffff:cb00:7109",
      "::ffff:203.0.113.9",
      "203.0.113.9:1234",
      "[::ffff:203.0.113.9]:443",
      "198.51.100.1, 203.0.113.9",
    ]) {
      expect(await sendAs(spelling)).toBe("RateLimited");
    }
    expect(await sendAs("2001:DB8::1")).toBe("OtpSent");
    expect(await sendAs("[2001:db8:0:0::1]:443")).toBe("RateLimited");
  });

  it("counts what is not an address by the socket's, and says so once without the value", async () => {
    // The socket (127.0.0.1) has sent nothing yet: the first junk value gets its one send, the rest share it.
    const junk = ["not-an-ip", "0xcb.0.113.9", "evil.example", "127.0.0.1.nip.io"];
    const answers = [];
    for (const value of junk) answers.push(await sendAs(value));
    expect(answers).toEqual(["OtpSent", "RateLimited", "RateLimited", "RateLimited"]);
    const warnings = app.lines().filter((line) => String(line.msg).startsWith("X-Forwarded-For held"));
    expect(warnings).toHaveLength(1);
    for (const value of junk) expect(app.raw.join("")).not.toContain(value);
  });
});
