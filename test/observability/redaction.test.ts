import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROVIDERS } from "../../src/providers/registry.js";
import { NO_LOCAL_LIMITS } from "../helpers/app.js";
import { RequestOtpDocument, type RequestOtpInput } from "../__generated__/graphql.js";
import { execute } from "../helpers/client.js";
import { startFaultServer, type FaultServer } from "../resilience/fault-server.js";
import { FAULT_SCENARIOS } from "../resilience/scenarios.js";
import { startCapturedApp, type CapturedApp } from "./capture.js";

/**
 * Every scenario of the resilience suite, plus every provider's sandbox answers and invalid inputs, run with logs
 * captured at `trace` (everything the code can write), then searched for every secret and personal value.
 */
const PASSWORD = "Itr-Portal-Passw0rd!";
const AADHAAR = "234123412346";
const BAD_AADHAAR = "234123412345";
const PHONES = {
  phone: { e164: "+919812345670", national: "9812345670" },
  dmt: { e164: "+919123456780", national: "9123456780" },
  paytm: { e164: "+919988776655", national: "9988776655" },
};
const LIVE_SECRETS = {
  GST_ACCESS_TOKEN: "gst-access-token-8f2c9e7a41",
  ITR_API_TOKEN: "itr-api-token-5b7d1c3e9f",
  DMT_CLIENT_SECRET: "dmt-client-secret-2a6e8c0b4d",
  PAYTM_CLIENT_SECRET: "paytm-client-secret-7c1f3a9e5b",
};

/** One valid input per provider: each reaches its upstream. */
const INPUTS: RequestOtpInput[] = [
  { phone: { phone: PHONES.phone.e164, country: "IN", deviceId: "device-redaction" } },
  { itr: { pan: "ABCPE1234F", password: PASSWORD } },
  {
    dmt: {
      customerMobileNumber: PHONES.dmt.national,
      otpType: "CUSTOMER_REGISTRATION",
      username: "agent-redaction",
      ovdType: "Aadhaar Card",
      ovdData: AADHAAR,
    },
  },
  {
    paytm: {
      phone: `+91 ${PHONES.paytm.national.slice(0, 5)} ${PHONES.paytm.national.slice(5)}`,
      deviceIdentifier: "device-paytm",
    },
  },
  { gst: { gstin: "27AAPFU0939F1ZV", username: "gst-user-redaction" } },
];

/** Inputs that fail validation while carrying secrets. */
const INVALID_INPUTS: RequestOtpInput[] = [
  { itr: { pan: "ABCDE1234", password: PASSWORD } },
  {
    dmt: {
      customerMobileNumber: PHONES.dmt.national,
      otpType: "CUSTOMER_REGISTRATION",
      username: "agent-redaction",
      ovdType: "Aadhaar Card",
      ovdData: BAD_AADHAAR,
    },
  },
  { phone: { phone: PHONES.phone.e164, country: "US", deviceId: "device-redaction" } },
];

const otps = new Set<string>();
const secrets = new Set<string>([
  PASSWORD,
  AADHAAR,
  BAD_AADHAAR,
  ...Object.values(PHONES).flatMap(({ e164, national }) => [
    e164,
    national,
    `${national.slice(0, 5)} ${national.slice(5)}`,
  ]),
  ...Object.values(LIVE_SECRETS),
  // Two values that only the fault scenarios' bodies carry.
  "482913",
  "771234",
]);

/** Every secret setting of every configured provider (as its descriptor marks them), and Paytm's Basic credential. */
function providerSecrets(app: CapturedApp): string[] {
  const configured: Readonly<Record<string, object | undefined>> = app.config.providers;
  const valueOf = (id: string, field: string): unknown =>
    Object.entries(configured[id] ?? {}).find(([name]) => name === field)?.[1];
  const { PAYTM } = app.config.providers;
  const secrets: unknown[] = PROVIDERS.flatMap(({ id, settings }) =>
    Object.values(settings).flatMap((variable) => (variable.secret ? [valueOf(id, variable.field)] : [])),
  );
  if (PAYTM) secrets.push(Buffer.from(`${PAYTM.clientId}:${PAYTM.clientSecret}`).toString("base64"));
  return secrets.filter((value): value is string => typeof value === "string" && value.length > 0);
}

async function send(app: CapturedApp, input: RequestOtpInput) {
  const { body } = await execute(app.url, RequestOtpDocument, { input });
  const result = body.data?.requestOtp;
  if (result?.__typename === "OtpSent" && result.challenge.devOtp) otps.add(result.challenge.devOtp);
  return result;
}

const apps: CapturedApp[] = [];
let fault: FaultServer;

beforeAll(async () => {
  fault = await startFaultServer();
  const sandbox = await startCapturedApp({ ...NO_LOCAL_LIMITS, LOG_LEVEL: "trace" });
  const live = await startCapturedApp({
    ...NO_LOCAL_LIMITS,
    LOG_LEVEL: "trace",
    OTP_PROVIDER_TIMEOUT_MS: "500",
    OTP_BREAKER_FAILURES: "3",
    OTP_BREAKER_HALF_OPEN_MS: "100",
    GST_BASE_URL: fault.url,
    GST_OTP_PATH: "/gst/otp",
    GST_ACCESS_TOKEN: LIVE_SECRETS.GST_ACCESS_TOKEN,
    ITR_BASE_URL: fault.url,
    ITR_API_TOKEN: LIVE_SECRETS.ITR_API_TOKEN,
    DMT_BASE_URL: fault.url,
    DMT_CLIENT_ID: "dmt-client",
    DMT_CLIENT_SECRET: LIVE_SECRETS.DMT_CLIENT_SECRET,
    PAYTM_BASE_URL: fault.url,
    PAYTM_CLIENT_ID: "paytm-client",
    PAYTM_CLIENT_SECRET: LIVE_SECRETS.PAYTM_CLIENT_SECRET,
    PHONE_BASE_URL: fault.url,
  });
  apps.push(sandbox, live);
  for (const app of apps) for (const secret of providerSecrets(app)) secrets.add(secret);

  // Sandbox: every provider's success (the OTPs come back as devOtp) and its documented failures.
  for (const input of [...INPUTS, ...INVALID_INPUTS]) await send(sandbox, input);
  for (const ending of ["00400", "00429"]) {
    await send(sandbox, {
      phone: { phone: `+9198765${ending}`, country: "IN", deviceId: "device-redaction" },
    });
  }

  // Live: every fault scenario against every provider at once, then the breaker open and half-open.
  for (const scenario of FAULT_SCENARIOS) {
    fault.respond(scenario.handler);
    await Promise.all(INPUTS.map((input) => send(live, input)));
  }
  for (const input of INPUTS) await send(live, input);
  await new Promise((resolve) => setTimeout(resolve, 150));
  for (const input of INPUTS) await send(live, input);
  for (const input of INVALID_INPUTS) await send(live, input);

  // A GET carries its variables in the URL.
  const variables = encodeURIComponent(JSON.stringify({ input: INPUTS[1] }));
  await fetch(`${live.url}?query=${encodeURIComponent("{ __typename }")}&variables=${variables}`, {
    headers: { "apollo-require-preflight": "true" },
  });
}, 60_000);

afterAll(async () => {
  for (const app of apps) await app.close();
  await fault.close();
});

describe("redaction: nothing secret or personal in any log line", () => {
  it("wrote the lines this suite is about (the check below has something to check)", () => {
    const [sandbox, live] = apps;
    const requests = INPUTS.length + INVALID_INPUTS.length + 2;
    expect(sandbox?.requestLines()).toHaveLength(requests);
    expect(live?.requestLines().length).toBeGreaterThanOrEqual(FAULT_SCENARIOS.length * INPUTS.length);
    expect(live?.lines().some((line) => line.msg === "undocumented reply")).toBe(true);
    expect(live?.lines().some((line) => line.msg === "circuit breaker")).toBe(true);
    expect(sandbox?.lines().some((line) => line.level === 20)).toBe(true);
    expect(otps.size).toBeGreaterThan(0);
  });

  it("no password, Aadhaar number, OTP, client secret, token or full phone number appears anywhere", () => {
    const leaks: string[] = [];
    for (const app of apps) {
      for (const line of app.raw) {
        for (const secret of secrets) if (line.includes(secret)) leaks.push(`${secret} in ${line}`);
        // OTPs are short: only a standalone run of the same digits counts.
        for (const otp of otps)
          if (new RegExp(`(?<![\\w])${otp}(?![\\w])`).test(line)) leaks.push(`OTP in ${line}`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it("destinations appear only masked", () => {
    const hints = apps.flatMap((app) => app.requestLines().map((line) => line.destinationHint));
    for (const hint of hints) if (typeof hint === "string") expect(hint).not.toMatch(/\d{5,}/);
    expect(hints.filter((hint) => typeof hint === "string").length).toBeGreaterThan(0);
  });
});
