import { z } from "zod";
import { DEFAULT_MAX_ENTRIES } from "./otp/store/memory.js";
import type { StoreSettings } from "./otp/store/index.js";
import { PROVIDER_IDS, type ProviderId } from "./otp/model.js";
import { OTEL_ENV, readTracing, type TracingSettings } from "./tracing/settings.js";

/** Settings of one provider, as the environment gives them. */
export interface ProviderSettings {
  GST?: { baseUrl: string; otpPath: string; accessToken: string };
  ITR?: { baseUrl: string; apiToken: string };
  DMT?: { baseUrl: string; clientId: string; clientSecret: string };
  PAYTM?: { baseUrl: string; clientId: string; clientSecret: string; scopes: string[] };
  PHONE?: { baseUrl: string };
}

export interface LimitSettings {
  cooldownSeconds: number;
  maxPerDestinationPerHour: number;
  maxPerDevicePerHour: number;
  maxPerIpPerHour: number;
}

/**
 * The local limits' defaults: the contract's, and the relaxed ones of sandbox mode, where one person walks through
 * the magic inputs from one IP (a few destinations, many sends). A limit set explicitly is kept in either mode.
 */
export const LIMIT_DEFAULTS = {
  OTP_COOLDOWN_SECONDS: { live: 30, sandbox: 1 },
  OTP_MAX_PER_DESTINATION_PER_HOUR: { live: 5, sandbox: 1000 },
  OTP_MAX_PER_DEVICE_PER_HOUR: { live: 10, sandbox: 1000 },
  OTP_MAX_PER_IP_PER_HOUR: { live: 30, sandbox: 10_000 },
} as const satisfies Record<string, { live: number; sandbox: number }>;

/** The whole typed, validated configuration. */
export interface Config {
  port: number;
  host: string;
  production: boolean;
  /** `sandbox`: built-in loopback fakes of all five providers, `devOtp` shown. */
  mode: "sandbox" | "live";
  providers: ProviderSettings;
  limits: LimitSettings;
  /** The limits that took sandbox mode's relaxed default (none set explicitly), for the start-up line. */
  relaxedLimits: (keyof typeof LIMIT_DEFAULTS)[];
  store: StoreSettings;
  /** HMAC secret for store keys and idempotency fingerprints; null: a random one per process (memory only). */
  stateSecret: string | null;
  routerSecret: string | null;
  providerTimeoutMs: number;
  /** Upstream bodies past this many bytes are not read (UnexpectedProviderResponse). */
  providerMaxResponseBytes: number;
  /** Each provider's circuit breaker and in-flight cap. */
  resilience: { breakerFailures: number; breakerHalfOpenMs: number; maxInFlight: number };
  /** On SIGTERM, how long in-flight requests may take before their connections are closed. */
  shutdownDeadlineMs: number;
  /** How many proxy hops in `X-Forwarded-For` to trust; 0 uses the socket address. */
  trustProxy: number;
  maxBodyBytes: number;
  logLevel: string;
  introspection: boolean;
  apolloKey: string | null;
  /** OpenTelemetry traces, from the standard `OTEL_*` variables; null (off, and free) with no endpoint. */
  tracing: TracingSettings | null;
}

/** A setting that is wrong; the message names the variable and what is wrong, never its value. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const blankToUndefined = (value: unknown) =>
  typeof value === "string" && value.trim() === "" ? undefined : value;
const text = z.preprocess(blankToUndefined, z.string().trim().optional());
const url = z.preprocess(blankToUndefined, z.url({ protocol: /^https?$/ }).optional());
const count = (fallback: number) =>
  z.preprocess(blankToUndefined, z.coerce.number().int().min(0).default(fallback));
const optionalCount = z.preprocess(blankToUndefined, z.coerce.number().int().min(0).optional());
const flag = z
  .preprocess(blankToUndefined, z.enum(["true", "false", "1", "0"]).optional())
  .transform((value) => (value === undefined ? undefined : value === "true" || value === "1"));

const Env = z.object({
  NODE_ENV: text,
  PORT: z.preprocess(blankToUndefined, z.coerce.number().int().min(0).max(65535).default(4001)),
  HOST: z.preprocess(blankToUndefined, z.string().default("0.0.0.0")),
  OTP_MODE: z.preprocess(blankToUndefined, z.enum(["sandbox", "live"]).optional()),
  GST_BASE_URL: url,
  GST_OTP_PATH: z.preprocess(blankToUndefined, z.string().startsWith("/", "must start with /").optional()),
  GST_ACCESS_TOKEN: text,
  ITR_BASE_URL: url,
  ITR_API_TOKEN: text,
  DMT_BASE_URL: url,
  DMT_CLIENT_ID: text,
  DMT_CLIENT_SECRET: text,
  PAYTM_BASE_URL: url,
  PAYTM_CLIENT_ID: text,
  PAYTM_CLIENT_SECRET: text,
  PAYTM_SCOPES: z.preprocess(blankToUndefined, z.string().default("paytm")),
  PHONE_BASE_URL: url,
  OTP_COOLDOWN_SECONDS: optionalCount,
  OTP_MAX_PER_DESTINATION_PER_HOUR: optionalCount,
  OTP_MAX_PER_DEVICE_PER_HOUR: optionalCount,
  OTP_MAX_PER_IP_PER_HOUR: optionalCount,
  OTP_STORE: z.preprocess(blankToUndefined, z.enum(["memory", "redis"]).default("memory")),
  REDIS_URL: z.preprocess(blankToUndefined, z.url({ protocol: /^rediss?$/ }).optional()),
  REDIS_SENTINELS: text,
  REDIS_SENTINEL_NAME: text,
  REDIS_PASSWORD: text,
  REDIS_SENTINEL_PASSWORD: text,
  REDIS_KEY_PREFIX: z.preprocess(blankToUndefined, z.string().max(64).default("otp:")),
  OTP_MEMORY_MAX_ENTRIES: z.preprocess(
    blankToUndefined,
    z.coerce.number().int().min(100).max(10_000_000).default(DEFAULT_MAX_ENTRIES),
  ),
  OTP_STATE_SECRET: z.preprocess(blankToUndefined, z.string().min(32).optional()),
  ROUTER_SECRET: text,
  OTP_PROVIDER_TIMEOUT_MS: z.preprocess(
    blankToUndefined,
    z.coerce.number().int().min(1).max(120_000).default(8000),
  ),
  OTP_PROVIDER_MAX_RESPONSE_BYTES: z.preprocess(
    blankToUndefined,
    z.coerce.number().int().min(1024).max(16_777_216).default(262_144),
  ),
  OTP_BREAKER_FAILURES: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(1000).default(5)),
  OTP_BREAKER_HALF_OPEN_MS: z.preprocess(
    blankToUndefined,
    z.coerce.number().int().min(1).max(3_600_000).default(30_000),
  ),
  OTP_PROVIDER_MAX_IN_FLIGHT: z.preprocess(
    blankToUndefined,
    z.coerce.number().int().min(1).max(10_000).default(100),
  ),
  OTP_SHUTDOWN_DEADLINE_MS: z.preprocess(
    blankToUndefined,
    z.coerce.number().int().min(0).max(600_000).default(10_000),
  ),
  TRUST_PROXY: count(0),
  OTP_MAX_BODY_BYTES: z.preprocess(blankToUndefined, z.coerce.number().int().min(1024).default(65_536)),
  LOG_LEVEL: z.preprocess(
    blankToUndefined,
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ),
  INTROSPECTION: flag,
  APOLLO_KEY: text,
  ...OTEL_ENV,
});
type Env = z.infer<typeof Env>;
/** Every variable the configuration reads (the docs are checked against it). */
export const SETTING_NAMES: readonly string[] = Object.keys(Env.shape);
const LIMIT_NAMES = Object.keys(LIMIT_DEFAULTS) as (keyof typeof LIMIT_DEFAULTS)[];

/** Read and validate the environment. Throws {@link ConfigError} naming every bad variable. */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(environment);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; "),
    );
  }
  const env = parsed.data;
  const problems: string[] = [];
  const production = env.NODE_ENV === "production";
  const providers = readProviders(env, problems);
  const configured = PROVIDER_IDS.filter((id) => providers[id] !== undefined);
  const mode = env.OTP_MODE ?? (configured.length === 0 ? "sandbox" : "live");

  if (mode === "sandbox" && production) {
    problems.push(
      env.OTP_MODE === undefined
        ? "no provider is configured, and the sandbox (the default without one) is refused when NODE_ENV=production: " +
            "set the variables of at least one provider (e.g. PHONE_BASE_URL; see docs/settings.md)"
        : "OTP_MODE: sandbox is refused when NODE_ENV=production",
    );
  }
  const store = readStore(env, problems);
  const tracing = readTracing(env, problems);
  if (problems.length > 0) throw new ConfigError(problems.join("; "));

  const relaxedLimits = mode === "sandbox" ? LIMIT_NAMES.filter((name) => env[name] === undefined) : [];
  const limit = (name: keyof typeof LIMIT_DEFAULTS) => env[name] ?? LIMIT_DEFAULTS[name][mode];

  return {
    port: env.PORT,
    host: env.HOST,
    production,
    mode,
    providers,
    limits: {
      cooldownSeconds: limit("OTP_COOLDOWN_SECONDS"),
      maxPerDestinationPerHour: limit("OTP_MAX_PER_DESTINATION_PER_HOUR"),
      maxPerDevicePerHour: limit("OTP_MAX_PER_DEVICE_PER_HOUR"),
      maxPerIpPerHour: limit("OTP_MAX_PER_IP_PER_HOUR"),
    },
    relaxedLimits,
    store,
    stateSecret: env.OTP_STATE_SECRET ?? null,
    routerSecret: env.ROUTER_SECRET ?? null,
    providerTimeoutMs: env.OTP_PROVIDER_TIMEOUT_MS,
    providerMaxResponseBytes: env.OTP_PROVIDER_MAX_RESPONSE_BYTES,
    resilience: {
      breakerFailures: env.OTP_BREAKER_FAILURES,
      breakerHalfOpenMs: env.OTP_BREAKER_HALF_OPEN_MS,
      maxInFlight: env.OTP_PROVIDER_MAX_IN_FLIGHT,
    },
    shutdownDeadlineMs: env.OTP_SHUTDOWN_DEADLINE_MS,
    trustProxy: env.TRUST_PROXY,
    maxBodyBytes: env.OTP_MAX_BODY_BYTES,
    logLevel: env.LOG_LEVEL,
    introspection: env.INTROSPECTION ?? !production,
    apolloKey: env.APOLLO_KEY ?? null,
    tracing,
  };
}

/** The store: memory, or Redis by URL (`redis://`, `rediss://` for TLS) or through Sentinel. */
function readStore(env: Env, problems: string[]): StoreSettings {
  const sentinelVariables = env.REDIS_SENTINELS !== undefined || env.REDIS_SENTINEL_NAME !== undefined;
  if (env.OTP_STORE !== "redis") return { kind: "memory", maxEntries: env.OTP_MEMORY_MAX_ENTRIES };
  if (!env.OTP_STATE_SECRET) {
    problems.push("OTP_STATE_SECRET: required when OTP_STORE=redis (the same value on every replica)");
  }
  const keyPrefix = env.REDIS_KEY_PREFIX;
  if (env.REDIS_URL && sentinelVariables) {
    problems.push("REDIS_URL, REDIS_SENTINELS: set one of them, not both");
  }
  if (env.REDIS_URL) {
    return { kind: "redis", url: env.REDIS_URL, keyPrefix };
  }
  if (!env.REDIS_SENTINELS) {
    problems.push(
      "REDIS_URL: required when OTP_STORE=redis (or REDIS_SENTINELS with REDIS_SENTINEL_NAME for Sentinel)",
    );
    return { kind: "memory", maxEntries: env.OTP_MEMORY_MAX_ENTRIES };
  }
  const sentinels = parseSentinels(env.REDIS_SENTINELS);
  if (sentinels === null) {
    problems.push("REDIS_SENTINELS: expected host:port[,host:port...] with ports 1-65535");
  }
  if (!env.REDIS_SENTINEL_NAME) {
    problems.push("REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the name the sentinels monitor)");
  }
  return {
    kind: "redis",
    sentinel: {
      sentinels: sentinels ?? [],
      name: env.REDIS_SENTINEL_NAME ?? "",
      password: env.REDIS_PASSWORD ?? null,
      sentinelPassword: env.REDIS_SENTINEL_PASSWORD ?? null,
    },
    keyPrefix,
  };
}

/** `host:port,host:port` (IPv6 hosts in brackets), or null when any entry is not one. */
export function parseSentinels(list: string): { host: string; port: number }[] | null {
  const entries = list.split(",").map((entry) => entry.trim());
  const parsed = entries.map((entry) => {
    const match = /^(?:\[([0-9a-fA-F:.]+)\]|([\w.-]+)):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[3]);
    const host = match?.[1] ?? match?.[2];
    return host && port >= 1 && port <= 65535 ? { host, port } : null;
  });
  return parsed.every((entry) => entry !== null) ? parsed : null;
}

/** A provider is configured when all of its variables are set; some but not all is an error. */
function readProviders(env: Env, problems: string[]): ProviderSettings {
  const groups: Record<ProviderId, Record<string, string | undefined>> = {
    GST: {
      GST_BASE_URL: env.GST_BASE_URL,
      GST_OTP_PATH: env.GST_OTP_PATH,
      GST_ACCESS_TOKEN: env.GST_ACCESS_TOKEN,
    },
    ITR: { ITR_BASE_URL: env.ITR_BASE_URL, ITR_API_TOKEN: env.ITR_API_TOKEN },
    DMT: {
      DMT_BASE_URL: env.DMT_BASE_URL,
      DMT_CLIENT_ID: env.DMT_CLIENT_ID,
      DMT_CLIENT_SECRET: env.DMT_CLIENT_SECRET,
    },
    PAYTM: {
      PAYTM_BASE_URL: env.PAYTM_BASE_URL,
      PAYTM_CLIENT_ID: env.PAYTM_CLIENT_ID,
      PAYTM_CLIENT_SECRET: env.PAYTM_CLIENT_SECRET,
    },
    PHONE: { PHONE_BASE_URL: env.PHONE_BASE_URL },
  };
  const complete = (id: ProviderId): boolean => {
    const entries = Object.entries(groups[id]);
    const missing = entries.filter(([, value]) => value === undefined).map(([name]) => name);
    if (missing.length > 0 && missing.length < entries.length) {
      problems.push(`${missing.join(", ")}: required when ${id} is configured`);
    }
    return missing.length === 0;
  };
  const providers: ProviderSettings = {};
  if (complete("GST") && env.GST_BASE_URL && env.GST_OTP_PATH && env.GST_ACCESS_TOKEN) {
    providers.GST = {
      baseUrl: env.GST_BASE_URL,
      otpPath: env.GST_OTP_PATH,
      accessToken: env.GST_ACCESS_TOKEN,
    };
  }
  if (complete("ITR") && env.ITR_BASE_URL && env.ITR_API_TOKEN) {
    providers.ITR = { baseUrl: env.ITR_BASE_URL, apiToken: env.ITR_API_TOKEN };
  }
  if (complete("DMT") && env.DMT_BASE_URL && env.DMT_CLIENT_ID && env.DMT_CLIENT_SECRET) {
    providers.DMT = {
      baseUrl: env.DMT_BASE_URL,
      clientId: env.DMT_CLIENT_ID,
      clientSecret: env.DMT_CLIENT_SECRET,
    };
  }
  if (complete("PAYTM") && env.PAYTM_BASE_URL && env.PAYTM_CLIENT_ID && env.PAYTM_CLIENT_SECRET) {
    providers.PAYTM = {
      baseUrl: env.PAYTM_BASE_URL,
      clientId: env.PAYTM_CLIENT_ID,
      clientSecret: env.PAYTM_CLIENT_SECRET,
      scopes: env.PAYTM_SCOPES.split(",")
        .map((scope) => scope.trim())
        .filter(Boolean),
    };
  }
  if (complete("PHONE") && env.PHONE_BASE_URL) providers.PHONE = { baseUrl: env.PHONE_BASE_URL };
  return providers;
}
