import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, SECRET_SETTING_NAMES, SETTING_NAMES } from "../src/config.js";

const ROUTER = "router-secret-from-a-file-0123456789abcdef";
const STATE = "state-secret-from-a-file-0123456789abcdef";

describe("secrets from files (<NAME>_FILE)", () => {
  let dir: string;
  const file = async (name: string, content: string) => {
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "otp-secrets-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("covers every secret setting the contract names, and only secrets", () => {
    for (const name of [
      "ROUTER_SECRET",
      "OTP_STATE_SECRET",
      "GST_ACCESS_TOKEN",
      "GST_API_PASSWORD",
      "ITR_API_TOKEN",
      "DMT_CLIENT_SECRET",
      "PAYTM_CLIENT_SECRET",
      "OTP_HUMAN_VERIFIER_SECRET",
      "REDIS_PASSWORD",
    ]) {
      expect(SECRET_SETTING_NAMES).toContain(name);
      expect(SETTING_NAMES).toContain(`${name}_FILE`);
    }
    expect(SECRET_SETTING_NAMES).not.toContain("PHONE_BASE_URL");
    expect(SETTING_NAMES).not.toContain("PHONE_BASE_URL_FILE");
  });

  it("reads the secret from the file, one trailing newline dropped", async () => {
    const config = loadConfig({
      ROUTER_SECRET_FILE: await file("router", `${ROUTER}\n`),
      OTP_STATE_SECRET_FILE: await file("state", `${STATE}\r\n`),
      OTP_STORE: "redis",
      REDIS_URL: "redis://127.0.0.1:6379",
      DMT_BASE_URL: "https://dmt.example.com",
      DMT_CLIENT_ID: "client",
      DMT_CLIENT_SECRET_FILE: await file("dmt", "dmt-secret\n"),
    });
    expect(config.routerSecret).toBe(ROUTER);
    expect(config.stateSecret).toBe(STATE);
    expect(config.providers.DMT?.clientSecret).toBe("dmt-secret");
  });

  it("applies the secret's own rules to what the file holds", async () => {
    const short = await file("short", "too-short\n");
    expect(() => loadConfig({ ROUTER_SECRET_FILE: short })).toThrow(/^ROUTER_SECRET: at least 32 characters/);
  });

  it("refuses both set, naming both and neither value", async () => {
    const path = await file("both", `${ROUTER}\n`);
    const error = catchConfig({ ROUTER_SECRET: `${ROUTER}-env`, ROUTER_SECRET_FILE: path });
    expect(error.message).toBe("ROUTER_SECRET, ROUTER_SECRET_FILE: set one of them, not both");
  });

  it("refuses a file that cannot be read or is empty, naming the variable, never the content", async () => {
    const missing = catchConfig({ PAYTM_CLIENT_SECRET_FILE: join(dir, "absent") });
    expect(missing.message).toMatch(
      /^PAYTM_CLIENT_SECRET_FILE: the file .*absent cannot be read \(ENOENT\)$/,
    );
    const directory = catchConfig({ REDIS_PASSWORD_FILE: dir });
    expect(directory.message).toMatch(/^REDIS_PASSWORD_FILE: the file .* cannot be read \(EISDIR\)$/);
    const empty = catchConfig({ GST_API_PASSWORD_FILE: await file("empty", "\n") });
    expect(empty.message).toMatch(/^GST_API_PASSWORD_FILE: the file .* is empty$/);
  });
});

function catchConfig(environment: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("loadConfig accepted it");
}
