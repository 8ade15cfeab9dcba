import { z } from "zod";
import { url } from "./env.js";
import type { StoreSettings } from "./otp/store/index.js";
import type { ProviderDescriptor } from "./providers/descriptor.js";
import { PROVIDERS, type ProviderSettings } from "./providers/registry.js";
import { isSupportedCountry } from "libphonenumber-js/max";
import type { LimitPolicy } from "./otp/limits.js";
import {
  ALLOWABLE_NUMBER_TYPES,
  REFUSED_NUMBER_TYPES,
  type AllowableNumberType,
  type PhonePolicy,
} from "./otp/phone-policy.js";
import type {
  HumanVerificationMode,
  HumanVerifierKind,
  ProofExpectations,
} from "./otp/human-verification.js";
import {
  GENERATE_SECRET,
  LIMIT_DEFAULTS,
  ROUTER_SECRET_MIN_LENGTH,
  schemasOf,
  SERVICE_SETTINGS,
} from "./settings.js";
import { settingProblem } from "./setting-problem.js";
import { readTracing, type TracingSettings } from "./tracing/settings.js";

export { LIMIT_DEFAULTS };

export type LimitSettings = LimitPolicy;

/** Step-up human verification as configured; `verifier` is null when the mode is `off`. */
export interface HumanVerificationSettings {
  mode: HumanVerificationMode;
  after: number;
  failOpen: boolean;
  verifier:
    | ({
        kind: HumanVerifierKind;
        /** Null in sandbox mode when not set: the sandbox's fake uses the verifier's documented test keys. */
        secret: string | null;
        siteKey: string | null;
        /** Null when not set: the verifier's documented siteverify URL (live) or the sandbox's fake. */
        url: string | null;
      } & ProofExpectations)
    | null;
}

/** The whole typed, validated configuration. */
export interface Config {
  port: number;
  host: string;
  production: boolean;
  /** `sandbox`: built-in loopback fakes of all five providers, `devOtp` shown. */
  mode: "sandbox" | "live";
  providers: ProviderSettings;
  limits: LimitSettings;
  /** Which phone destinations may receive an OTP. */
  phonePolicy: PhonePolicy;
  humanVerification: HumanVerificationSettings;
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
  /** OpenTelemetry traces, from the standard `OTEL_*` variables; null (off, and free) with no endpoint. */
  tracing: TracingSettings | null;
}

/** A setting that is wrong; the message names the variable and what is wrong, never its value. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const Env = z.object(schemasOf(SERVICE_SETTINGS));
type Env = z.infer<typeof Env>;

/** Every provider's variables, one object schema per provider (from the registry). */
const PROVIDER_ENVS = PROVIDERS.map((provider) => {
  const { id, settings } = provider;
  const shape = Object.fromEntries(Object.entries(settings).map(([name, { schema }]) => [name, schema]));
  // The settings read for this provider are its own (readProvider fills its fields from its variables).
  const check = (own: Record<string, unknown>) => provider.checkSettings?.(own as never) ?? [];
  return { id, settings, check, env: z.object(shape) };
});
const LIMIT_NAMES = Object.keys(LIMIT_DEFAULTS) as (keyof typeof LIMIT_DEFAULTS)[];

/** Every variable the configuration reads, the providers' included (the docs are checked against it). */
export const SETTING_NAMES: readonly string[] = [
  ...Object.keys(Env.shape),
  ...PROVIDERS.flatMap((provider) => Object.keys(provider.settings)),
];

/** Read and validate the environment. Throws {@link ConfigError} naming every bad variable. */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const issues: z.core.$ZodIssue[] = [];
  const parse = <T>(schema: z.ZodType<T>): T | undefined => {
    const parsed = schema.safeParse(environment);
    if (parsed.success) return parsed.data;
    issues.push(...parsed.error.issues);
    return undefined;
  };
  const env = parse(Env);
  const providerValues = PROVIDER_ENVS.map((provider) => ({ ...provider, values: parse(provider.env) }));
  if (env === undefined || issues.length > 0) {
    throw new ConfigError(issues.map(settingProblem).join("; "));
  }
  const problems: string[] = [];
  const production = env.NODE_ENV === "production";
  const providers: Record<string, unknown> = {};
  for (const { id, settings, values, check } of providerValues) {
    const own = readProvider(id, settings, values ?? {}, problems);
    if (own) problems.push(...check(own));
    if (own) providers[id] = own;
  }
  const mode = env.OTP_MODE ?? (Object.keys(providers).length === 0 ? "sandbox" : "live");

  if (mode === "sandbox" && production) {
    problems.push(
      env.OTP_MODE === undefined
        ? "no provider is configured, and the sandbox (the default without one) is refused when NODE_ENV=production: " +
            "set the variables of at least one provider (e.g. PHONE_BASE_URL; see docs/settings.md)"
        : "OTP_MODE: sandbox is refused when NODE_ENV=production",
    );
  }
  if (production && !env.ROUTER_SECRET && !env.OTP_ALLOW_NO_ROUTER_SECRET) {
    problems.push(
      `ROUTER_SECRET: required when NODE_ENV=production, at least ${ROUTER_SECRET_MIN_LENGTH} characters (${GENERATE_SECRET}), ` +
        "and the same in the router's `router-authorization` header; only on a private network that nothing but the " +
        "router can reach, OTP_ALLOW_NO_ROUTER_SECRET=true runs without it",
    );
  }
  if (mode === "live") problems.push(...plainHttpUrls(environment));
  const phonePolicy = readPhonePolicy(env, problems);
  const humanVerification = readHumanVerification(env, mode, production, problems);
  const store = readStore(env, problems);
  const tracing = readTracing(env, problems);
  if (problems.length > 0) throw new ConfigError(problems.join("; "));

  const relaxedLimits = mode === "sandbox" ? LIMIT_NAMES.filter((name) => env[name] === undefined) : [];
  const limit = (name: keyof typeof LIMIT_DEFAULTS) => env[name] ?? LIMIT_DEFAULTS[name][mode];

  return {
    port: env.PORT,
    // The sandbox answers anyone with the OTP itself: this machine only, unless HOST says otherwise.
    host: env.HOST ?? (mode === "sandbox" ? "127.0.0.1" : "0.0.0.0"),
    production,
    mode,
    providers,
    limits: {
      cooldownSeconds: limit("OTP_COOLDOWN_SECONDS"),
      maxPerDestinationPerHour: limit("OTP_MAX_PER_DESTINATION_PER_HOUR"),
      maxPerDevicePerHour: limit("OTP_MAX_PER_DEVICE_PER_HOUR"),
      maxPerIpPerHour: limit("OTP_MAX_PER_IP_PER_HOUR"),
      maxPerRangePerHour: limit("OTP_MAX_PER_RANGE_PER_HOUR"),
      rangeSuffixDigits: env.OTP_RANGE_SUFFIX_DIGITS,
      maxPerProviderPerHour: env.OTP_MAX_PER_PROVIDER_PER_HOUR,
      maxPerCountryPerHour: env.OTP_MAX_PER_COUNTRY_PER_HOUR,
    },
    phonePolicy,
    humanVerification,
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
    tracing,
  };
}

/** `OTP_PHONE_ALLOWED_COUNTRIES` and `OTP_PHONE_ALLOWED_TYPES`, each entry checked. */
function readPhonePolicy(env: Env, problems: string[]): PhonePolicy {
  const countries = env.OTP_PHONE_ALLOWED_COUNTRIES;
  const unknown = countries?.filter((code) => !/^[A-Z]{2}$/.test(code) || !isSupportedCountry(code));
  if (unknown && unknown.length > 0) {
    problems.push(
      `OTP_PHONE_ALLOWED_COUNTRIES: ${unknown.join(", ")} is not an ISO 3166-1 alpha-2 code with a numbering plan`,
    );
  }
  const types = env.OTP_PHONE_ALLOWED_TYPES ?? ["MOBILE", "FIXED_LINE_OR_MOBILE"];
  const refused = types.filter((type) => (REFUSED_NUMBER_TYPES as readonly string[]).includes(type));
  if (refused.length > 0) {
    problems.push(`OTP_PHONE_ALLOWED_TYPES: ${refused.join(", ")} can never receive an OTP`);
  }
  const unknownTypes = types.filter(
    (type) =>
      !(ALLOWABLE_NUMBER_TYPES as readonly string[]).includes(type) &&
      !(REFUSED_NUMBER_TYPES as readonly string[]).includes(type),
  );
  if (unknownTypes.length > 0) {
    problems.push(
      `OTP_PHONE_ALLOWED_TYPES: ${unknownTypes.join(", ")} is not one of ${ALLOWABLE_NUMBER_TYPES.join(", ")}`,
    );
  }
  return {
    allowedCountries: countries ? new Set(countries) : null,
    allowedTypes: new Set(
      types.filter((type): type is AllowableNumberType =>
        (ALLOWABLE_NUMBER_TYPES as readonly string[]).includes(type),
      ),
    ),
  };
}

/** The verifiers' documented always-pass test secrets: refused in production, where they would pass anyone. */
const TEST_SECRETS = new Set([
  "1x0000000000000000000000000000000AA",
  "0x0000000000000000000000000000000000000000",
  "6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe",
]);

/** `OTP_HUMAN_VERIFICATION*`: a verifier with its keys whenever the mode is not `off` (sandbox: test keys). */
function readHumanVerification(
  env: Env,
  mode: "sandbox" | "live",
  production: boolean,
  problems: string[],
): HumanVerificationSettings {
  const settings = {
    mode: env.OTP_HUMAN_VERIFICATION,
    after: env.OTP_HUMAN_VERIFICATION_AFTER,
    failOpen: env.OTP_HUMAN_VERIFIER_FAIL_OPEN ?? false,
  };
  if (settings.mode === "off") return { ...settings, verifier: null };
  const on = `when OTP_HUMAN_VERIFICATION=${settings.mode}`;
  if (mode === "live") {
    const missing = [
      ["OTP_HUMAN_VERIFIER", env.OTP_HUMAN_VERIFIER],
      ["OTP_HUMAN_VERIFIER_SECRET", env.OTP_HUMAN_VERIFIER_SECRET],
      ["OTP_HUMAN_VERIFIER_SITE_KEY", env.OTP_HUMAN_VERIFIER_SITE_KEY],
    ].filter(([, value]) => value === undefined);
    if (missing.length > 0) {
      problems.push(
        `${missing.map(([name]) => name).join(", ")}: required ${on} (turnstile, hcaptcha or recaptcha, with its keys)`,
      );
    }
  }
  if (production && env.OTP_HUMAN_VERIFIER_SECRET && TEST_SECRETS.has(env.OTP_HUMAN_VERIFIER_SECRET)) {
    problems.push("OTP_HUMAN_VERIFIER_SECRET: a documented test secret is refused when NODE_ENV=production");
  }
  const kind = (env.OTP_HUMAN_VERIFIER ?? "turnstile").toUpperCase() as HumanVerifierKind;
  const hostnames = env.OTP_HUMAN_VERIFIER_HOSTNAMES?.map((hostname) => hostname.toLowerCase());
  const notHostnames = hostnames?.filter((hostname) => !HOSTNAME.test(hostname)) ?? [];
  if (notHostnames.length > 0) {
    problems.push(
      `OTP_HUMAN_VERIFIER_HOSTNAMES: ${notHostnames.join(", ")} is not a hostname ` +
        "(list the hostnames of the pages that show the widget, e.g. app.example.com: no scheme, port or path)",
    );
  }
  if (env.OTP_HUMAN_VERIFIER_ACTION !== undefined && kind === "HCAPTCHA") {
    problems.push("OTP_HUMAN_VERIFIER_ACTION: hCaptcha's siteverify answers no action; unset it");
  }
  if (env.OTP_HUMAN_VERIFIER_MIN_SCORE !== undefined && kind !== "RECAPTCHA") {
    problems.push(
      "OTP_HUMAN_VERIFIER_MIN_SCORE: only reCAPTCHA v3 answers a score (OTP_HUMAN_VERIFIER=recaptcha)",
    );
  }
  return {
    ...settings,
    verifier: {
      kind,
      secret: env.OTP_HUMAN_VERIFIER_SECRET ?? null,
      siteKey: env.OTP_HUMAN_VERIFIER_SITE_KEY ?? null,
      url: env.OTP_HUMAN_VERIFIER_URL ?? null,
      hostnames: hostnames ? new Set(hostnames) : null,
      action: env.OTP_HUMAN_VERIFIER_ACTION ?? null,
      minScore: env.OTP_HUMAN_VERIFIER_MIN_SCORE ?? null,
    },
  };
}

/** A DNS hostname, lower case: labels of letters, digits and inner hyphens. */
const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Every provider variable that is a base URL, from the registry. */
const BASE_URL_VARIABLES = PROVIDERS.flatMap(({ settings }) =>
  Object.entries(settings)
    .filter(([, variable]) => variable.schema === url)
    .map(([name]) => name),
);

/** Every URL a secret is sent to: the providers', and the human verifier's (its secret key). */
const SECRET_URL_VARIABLES = [...BASE_URL_VARIABLES, "OTP_HUMAN_VERIFIER_URL"];

/**
 * Live provider URLs that are not `https://`: credentials, passwords and personal data go to them. Loopback
 * (local fakes, tests) is the one exception.
 */
function plainHttpUrls(environment: NodeJS.ProcessEnv): string[] {
  return SECRET_URL_VARIABLES.filter((name) => {
    const value = environment[name]?.trim();
    if (!value) return false;
    const parsed = new URL(value);
    return parsed.protocol !== "https:" && !isLoopback(parsed.hostname);
  }).map((name) => `${name}: must be an https:// URL (plain http is allowed for loopback addresses only)`);
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/**
 * A provider's settings, when all of its required variables are set; some but not all is a problem. Each variable
 * fills its settings field.
 */
function readProvider(
  id: string,
  variables: ProviderDescriptor["settings"],
  values: Readonly<Record<string, unknown>>,
  problems: string[],
): Record<string, unknown> | undefined {
  const required = Object.entries(variables).filter(([, variable]) => !variable.optional);
  const missing = required.filter(([name]) => values[name] === undefined).map(([name]) => name);
  if (missing.length > 0) {
    if (missing.length < required.length)
      problems.push(`${missing.join(", ")}: required when ${id} is configured`);
    return undefined;
  }
  return Object.fromEntries(Object.entries(variables).map(([name, { field }]) => [field, values[name]]));
}

/** The store: memory, or Redis by URL (`redis://`, `rediss://` for TLS) or through Sentinel. */
function readStore(env: Env, problems: string[]): StoreSettings {
  const sentinelVariables = env.REDIS_SENTINELS !== undefined || env.REDIS_SENTINEL_NAME !== undefined;
  if (env.OTP_STORE !== "redis") return { kind: "memory", maxMb: env.OTP_MEMORY_MAX_MB };
  if (!env.OTP_STATE_SECRET) {
    problems.push("OTP_STATE_SECRET: required when OTP_STORE=redis (the same value on every replica)");
  }
  const keyPrefix = env.REDIS_KEY_PREFIX;
  const allowEviction = env.OTP_REDIS_ALLOW_EVICTION ?? false;
  if (env.REDIS_URL && sentinelVariables) {
    problems.push("REDIS_URL, REDIS_SENTINELS: set one of them, not both");
  }
  if (env.REDIS_URL) {
    return { kind: "redis", url: env.REDIS_URL, keyPrefix, allowEviction };
  }
  if (!env.REDIS_SENTINELS) {
    problems.push(
      "REDIS_URL: required when OTP_STORE=redis (or REDIS_SENTINELS with REDIS_SENTINEL_NAME for Sentinel)",
    );
    return { kind: "memory", maxMb: env.OTP_MEMORY_MAX_MB };
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
    allowEviction,
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
