import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, SETTING_NAMES, unknownVariables } from "../src/config.js";
import { PROVIDERS } from "../src/providers/registry.js";
import { SERVICE_SETTINGS, type ServiceSetting } from "../src/settings.js";
import { DEFAULT_LIMITS } from "./helpers/limits.js";

describe("loadConfig", () => {
  it("defaults to sandbox on port 4001, with relaxed local limits, when nothing is configured", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4001,
      mode: "sandbox",
      providers: {},
      limits: {
        cooldownSeconds: 1,
        maxPerDestinationPerHour: 1000,
        maxPerDevicePerHour: 1000,
        maxPerIpPerHour: 10_000,
        maxPerRangePerHour: 1000,
      },
      relaxedLimits: [
        "OTP_COOLDOWN_SECONDS",
        "OTP_MAX_PER_DESTINATION_PER_HOUR",
        "OTP_MAX_PER_DEVICE_PER_HOUR",
        "OTP_MAX_PER_IP_PER_HOUR",
        "OTP_MAX_PER_RANGE_PER_HOUR",
      ],
      store: { kind: "memory", maxMb: 256 },
      providerTimeoutMs: 8000,
      introspection: true,
    });
  });

  it("keeps a limit set explicitly in sandbox mode, and the contract's limits in live mode", () => {
    const sandbox = loadConfig({ OTP_COOLDOWN_SECONDS: "30", OTP_MAX_PER_IP_PER_HOUR: "0" });
    expect(sandbox.limits).toMatchObject({
      cooldownSeconds: 30,
      maxPerDestinationPerHour: 1000,
      maxPerDevicePerHour: 1000,
      maxPerIpPerHour: 0,
      maxPerRangePerHour: 1000,
    });
    expect(sandbox.relaxedLimits).toEqual([
      "OTP_MAX_PER_DESTINATION_PER_HOUR",
      "OTP_MAX_PER_DEVICE_PER_HOUR",
      "OTP_MAX_PER_RANGE_PER_HOUR",
    ]);
    const live = loadConfig({
      PHONE_BASE_URL: "https://otp.example.com",
      OTP_ALLOW_NO_ROUTER_SECRET: "true",
    });
    expect(live.limits).toEqual(DEFAULT_LIMITS);
    expect(live.relaxedLimits).toEqual([]);
  });

  it("is live when a provider is configured", () => {
    const config = loadConfig({
      PHONE_BASE_URL: "https://otp.example.com",
      PAYTM_BASE_URL: "https://accounts-uat.paytm.com",
      PAYTM_CLIENT_ID: "id",
      PAYTM_CLIENT_SECRET: "s",
      PAYTM_SCOPES: "paytm, wallet",
      OTP_ALLOW_NO_ROUTER_SECRET: "true",
    });
    expect(config.mode).toBe("live");
    expect(config.providers.PAYTM?.scopes).toEqual(["paytm", "wallet"]);
  });

  it.each([
    [{ PORT: "http" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ OTP_MODE: "demo" }, "OTP_MODE"],
    [{ OTP_COOLDOWN_SECONDS: "-1" }, "OTP_COOLDOWN_SECONDS"],
    [{ OTP_MEMORY_MAX_MB: "0" }, "OTP_MEMORY_MAX_MB"],
    [{ OTP_MEMORY_MAX_MB: "4096" }, "OTP_MEMORY_MAX_MB"],
    [{ PHONE_BASE_URL: "not a url" }, "PHONE_BASE_URL"],
    [{ OTP_STORE: "redis" }, "REDIS_URL"],
    [{ NODE_ENV: "production" }, "no provider is configured"],
    [
      { NODE_ENV: "production", OTP_MODE: "sandbox" },
      "OTP_MODE: sandbox is refused when NODE_ENV=production",
    ],
    [
      { DMT_BASE_URL: "https://apidev.iserveu.online" },
      "DMT_CLIENT_ID, DMT_CLIENT_SECRET: required when DMT is configured",
    ],
    [{ GST_BASE_URL: "https://gst.example.com", GST_ACCESS_TOKEN: "t" }, "GST_OTP_PATH"],
  ])("refuses %j, naming %s", (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });

  it("traces only when an OTLP endpoint is set, and not when OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none", () => {
    expect(loadConfig({}).tracing).toBeNull();
    expect(loadConfig({ OTEL_SERVICE_NAME: "otp" }).tracing).toBeNull();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }).tracing).toEqual({
      endpoint: "http://collector:4318/v1/traces",
      protocol: "http/protobuf",
      serviceName: "otp-subgraph",
      resourceAttributes: {},
      sampler: "parentbased_always_on",
      samplerArg: 1,
    });
    expect(
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://traces.example.com/otlp/traces",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json",
        OTEL_SERVICE_NAME: "otp-eu",
        OTEL_RESOURCE_ATTRIBUTES: "service.version=2.0.1, deployment.environment.name=eu%2Cprod",
        OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
        OTEL_TRACES_SAMPLER_ARG: "0.25",
      }).tracing,
    ).toEqual({
      endpoint: "https://traces.example.com/otlp/traces",
      protocol: "http/json",
      serviceName: "otp-eu",
      resourceAttributes: { "service.version": "2.0.1", "deployment.environment.name": "eu,prod" },
      sampler: "parentbased_traceidratio",
      samplerArg: 0.25,
    });
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" };
    expect(loadConfig({ ...endpoint, OTEL_SDK_DISABLED: "true" }).tracing).toBeNull();
    expect(loadConfig({ ...endpoint, OTEL_SDK_DISABLED: "TRUE" }).tracing).toBeNull();
    expect(loadConfig({ ...endpoint, OTEL_SDK_DISABLED: "false" }).tracing).not.toBeNull();
    expect(loadConfig({ ...endpoint, OTEL_TRACES_EXPORTER: "none" }).tracing).toBeNull();
    // A service.name given only in OTEL_RESOURCE_ATTRIBUTES names the service.
    expect(
      loadConfig({ ...endpoint, OTEL_RESOURCE_ATTRIBUTES: "service.name=otp-in,service.version=3" }).tracing,
    ).toMatchObject({ serviceName: "otp-in", resourceAttributes: { "service.version": "3" } });
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }, "grpc"],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" }, "OTEL_EXPORTER_OTLP_ENDPOINT"],
    [{ OTEL_TRACES_SAMPLER: "sometimes" }, "OTEL_TRACES_SAMPLER"],
    [{ OTEL_TRACES_SAMPLER_ARG: "2" }, "OTEL_TRACES_SAMPLER_ARG"],
    [{ OTEL_TRACES_EXPORTER: "zipkin" }, "OTEL_TRACES_EXPORTER"],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_RESOURCE_ATTRIBUTES: "service.version" },
      "OTEL_RESOURCE_ATTRIBUTES",
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_RESOURCE_ATTRIBUTES: "a=%E0%A4" },
      "OTEL_RESOURCE_ATTRIBUTES",
    ],
  ])("refuses tracing settings %j, naming %s", (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });

  it("never repeats a secret's value in its message", () => {
    expect(() => loadConfig({ PAYTM_CLIENT_SECRET: "s3cr3t-value" })).toThrow(/^(?!.*s3cr3t-value)/);
  });

  it("turns introspection off in production unless asked for", () => {
    const live = {
      NODE_ENV: "production",
      PHONE_BASE_URL: "https://otp.example.com",
      ROUTER_SECRET: "a-router-secret-of-32-characters",
    };
    expect(loadConfig(live).introspection).toBe(false);
    expect(loadConfig({ ...live, INTROSPECTION: "true" }).introspection).toBe(true);
  });
});

describe("production defaults", () => {
  const secret = "0123456789abcdef0123456789abcdef";
  const live = { NODE_ENV: "production", PHONE_BASE_URL: "https://otp.example.com" };

  it("refuses to start in production without ROUTER_SECRET, saying how to make one", () => {
    expect(() => loadConfig(live)).toThrow(ConfigError);
    expect(() => loadConfig(live)).toThrow(/ROUTER_SECRET: required in live mode/);
    expect(() => loadConfig(live)).toThrow(/openssl rand -base64 32/);
    expect(() => loadConfig(live)).toThrow(/OTP_ALLOW_NO_ROUTER_SECRET=true/);
    expect(loadConfig({ ...live, ROUTER_SECRET: secret }).routerSecret).toBe(secret);
  });

  it("runs without one in production only when opted out by name", () => {
    expect(loadConfig({ ...live, OTP_ALLOW_NO_ROUTER_SECRET: "true" }).routerSecret).toBeNull();
    expect(() => loadConfig({ ...live, OTP_ALLOW_NO_ROUTER_SECRET: "false" })).toThrow(/ROUTER_SECRET/);
  });

  it.each([
    ["one character", "x"],
    ["31 characters", secret.slice(1)],
  ])("refuses a ROUTER_SECRET of %s in any mode, without repeating it", (_name, short) => {
    for (const env of [{ ROUTER_SECRET: short }, { ...live, ROUTER_SECRET: short }]) {
      expect(() => loadConfig(env)).toThrow(/ROUTER_SECRET: at least 32 characters/);
      expect(() => loadConfig(env)).toThrow(new RegExp(`^(?!.*${short})`));
    }
  });

  it("treats an empty ROUTER_SECRET as unset, which production refuses", () => {
    expect(loadConfig({ ROUTER_SECRET: " " }).routerSecret).toBeNull();
    expect(() => loadConfig({ ...live, ROUTER_SECRET: "" })).toThrow(/ROUTER_SECRET: required/);
  });

  it.each(
    PROVIDERS.flatMap(({ settings }) =>
      Object.entries(settings).flatMap(([name, { field }]) => (field === "baseUrl" ? [name] : [])),
    ),
  )("refuses a plain-http %s in live mode, naming it", (name) => {
    const env = { OTP_MODE: "live", [name]: "http://otp.example.com" };
    expect(() => loadConfig(env)).toThrow(new RegExp(`${name}: must be an https:// URL`));
  });

  it.each([
    "http://127.0.0.1:9000",
    "http://127.8.9.10",
    "http://localhost:9000",
    "http://[::1]:9000",
    "https://otp.example.com",
  ])("accepts %s as a live provider URL", (url) => {
    expect(loadConfig({ PHONE_BASE_URL: url, ROUTER_SECRET: secret }).providers.PHONE?.baseUrl).toBe(url);
  });

  it("binds the sandbox to 127.0.0.1 unless HOST is set, and live mode to every interface", () => {
    expect(loadConfig({}).host).toBe("127.0.0.1");
    expect(loadConfig({ HOST: "0.0.0.0" }).host).toBe("0.0.0.0");
    expect(loadConfig({ PHONE_BASE_URL: "https://otp.example.com", ROUTER_SECRET: secret }).host).toBe(
      "0.0.0.0",
    );
  });
});

describe("live mode is production, whatever NODE_ENV says", () => {
  const secret = "0123456789abcdef0123456789abcdef";
  it.each([{}, { NODE_ENV: "development" }, { NODE_ENV: "test" }])(
    "applies the production defaults with a live provider and %j",
    (nodeEnv) => {
      const live = { ...nodeEnv, PHONE_BASE_URL: "https://otp.example.com" };
      expect(() => loadConfig(live)).toThrow(/ROUTER_SECRET: required in live mode/);
      const config = loadConfig({ ...live, ROUTER_SECRET: secret });
      expect(config).toMatchObject({ mode: "live", production: true, introspection: false });
      expect(() =>
        loadConfig({
          ...live,
          ROUTER_SECRET: secret,
          OTP_HUMAN_VERIFICATION: "always",
          OTP_HUMAN_VERIFIER: "turnstile",
          OTP_HUMAN_VERIFIER_SITE_KEY: "k",
          OTP_HUMAN_VERIFIER_SECRET: "1x0000000000000000000000000000000AA",
        }),
      ).toThrow(/a documented test secret is refused/);
    },
  );

  it("keeps the sandbox relaxed", () => {
    expect(loadConfig({})).toMatchObject({ mode: "sandbox", production: false, introspection: true });
  });
});

describe("unknown variables", () => {
  const secret = "0123456789abcdef0123456789abcdef";
  const live = { PHONE_BASE_URL: "https://otp.example.com", ROUTER_SECRET: secret };

  it("names each one with an own prefix, with the setting it is closest to", () => {
    expect(
      unknownVariables({
        OTP_TRUST_PROXY: "1",
        OTP_COOLDOWN_SECOND: "1",
        REDIS_URI: "redis://x",
        PHONE_BASE_ULR: "https://x",
        PAYTM_FOO: "x",
        ROUTER_SECRETS: "x",
        HOME: "/root",
        NODE_OPTIONS: "",
        OTP_MODE: "live",
      }),
    ).toEqual([
      "OTP_COOLDOWN_SECOND (did you mean OTP_COOLDOWN_SECONDS?)",
      "OTP_TRUST_PROXY (did you mean TRUST_PROXY?)",
      "PAYTM_FOO",
      "PHONE_BASE_ULR (did you mean PHONE_BASE_URL?)",
      "REDIS_URI (did you mean REDIS_URL?)",
      "ROUTER_SECRETS (did you mean ROUTER_SECRET?)",
    ]);
  });

  it("knows every setting, every secret's _FILE, and the settings being added beside this change", () => {
    expect(
      unknownVariables({
        ...Object.fromEntries(SETTING_NAMES.map((name) => [name, "x"])),
        PAYTM_CLIENT_SECRET_FILE: "/run/secrets/paytm",
        DMT_CLIENT_SECRET_FILE: "/run/secrets/dmt",
        ROUTER_SECRET_PREVIOUS: "x",
        OTP_STATE_SECRET_PREVIOUS: "x",
        REDIS_CLUSTER_NODES: "a:1",
        REDIS_TLS_CA_FILE: "/ca.pem",
      }),
    ).toEqual([]);
    // Not a secret: no _FILE form.
    expect(unknownVariables({ PHONE_BASE_URL_FILE: "/x" })).toEqual(["PHONE_BASE_URL_FILE"]);
  });

  it("warns in sandbox mode and refuses in live mode", () => {
    expect(loadConfig({ OTP_TRUST_PROXY: "1" }).warnings).toEqual([
      "unknown variable OTP_TRUST_PROXY (did you mean TRUST_PROXY?): ignored (docs/settings.md lists every setting)",
    ]);
    expect(loadConfig(live).warnings).toEqual([]);
    expect(() => loadConfig({ ...live, OTP_TRUST_PROXY: "1" })).toThrow(
      "unknown variable OTP_TRUST_PROXY (did you mean TRUST_PROXY?): unset or rename",
    );
  });
});

describe("each setting's default is written once", () => {
  const settings: [string, ServiceSetting][] = Object.entries(SERVICE_SETTINGS);

  it("in one place: the schema's, or each mode's, or words for a rule (never two of them)", () => {
    const twice = settings
      .map(([name, setting]) => {
        const places = [
          setting.schema.safeParse(undefined).data !== undefined && "schema",
          setting.modes !== undefined && "modes",
          setting.default !== undefined && "words",
        ].filter(Boolean);
        return places.length > 1 ? `${name}: ${places.join(", ")}` : null;
      })
      .filter((entry) => entry !== null);
    expect(twice).toEqual([]);
  });

  it("and the configuration takes each mode's from there", () => {
    const live = { PHONE_BASE_URL: "http://127.0.0.1:9", OTP_ALLOW_NO_ROUTER_SECRET: "true" };
    expect(loadConfig({})).toMatchObject({
      host: SERVICE_SETTINGS.HOST.modes.sandbox,
      introspection: SERVICE_SETTINGS.INTROSPECTION.modes.sandbox,
    });
    expect(loadConfig(live)).toMatchObject({
      host: SERVICE_SETTINGS.HOST.modes.live,
      introspection: SERVICE_SETTINGS.INTROSPECTION.modes.live,
    });
  });
});
