import { readFileSync } from "node:fs";
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
import type { HumanVerificationMode, HumanVerifierKind } from "./otp/human-verification.js";
import { HUMAN_VERIFIER_TEST_KEYS } from "./providers/human-verifier/sandbox.js";
import { SITEVERIFY_URLS, type HumanVerifierSettings } from "./providers/human-verifier/verifier.js";
import {
  GENERATE_SECRET,
  LIMIT_DEFAULTS,
  ROUTER_SECRET_MIN_LENGTH,
  schemasOf,
  SERVICE_SETTINGS,
} from "./settings.js";
import { settingProblem } from "./setting-problem.js";
import { readTracing, type TracingSettings } from "./tracing/settings.js";
import { FILE_SUFFIX, readSecretFiles } from "./secret-files.js";

export { LIMIT_DEFAULTS };

export type LimitSettings = LimitPolicy;

/**
 * Step-up human verification as configured; `verifier` is null when the mode is `off`. Its keys and URL are
 * resolved here: in sandbox mode the verifier's documented test keys and the sandbox's fake unless set; in live
 * mode the keys are required and the URL is the verifier's documented siteverify URL unless set.
 */
export interface HumanVerificationSettings {
  mode: HumanVerificationMode;
  after: number;
  failOpen: boolean;
  /** Calls to the verifier per client network and minute (0: off). */
  maxPerIpPerMinute: number;
  verifier: HumanVerifierSettings | null;
}

/** What the running sandbox (`src/sandbox/`) points the configuration at: its loopback fakes. */
export interface SandboxEndpoints {
  providers: ProviderSettings;
  /** The fake siteverify URL of the human verifiers. */
  humanVerifierUrl: string;
}

/** The whole typed, validated configuration. */
export interface Config {
  port: number;
  host: string;
  /**
   * The production defaults apply (router secret required, introspection and Apollo Sandbox off, schema names
   * hidden, test keys refused): in live mode, whatever `NODE_ENV` says. Sandbox mode is the only relaxed one.
   */
  production: boolean;
  /** `sandbox`: built-in loopback fakes of every provider of the registry, `devOtp` shown. */
  mode: "sandbox" | "live";
  /** What is wrong but not refused (unknown variables in sandbox mode, no verifier hostnames), said once at start. */
  warnings: string[];
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
  /** During a rotation, the previous state secret: state written under it still counts. */
  stateSecretPrevious: string | null;
  routerSecret: string | null;
  /** Accepted beside `routerSecret` during a rotation; null: none. */
  routerSecretPrevious: string | null;
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
  /** GraphQL documents past this many bytes are refused before parsing. */
  maxDocumentBytes: number;
  /** The HTTP server's timeouts and connection cap (`src/server/connections.ts`). */
  http: { requestTimeoutMs: number; keepAliveTimeoutMs: number; maxConnections: number };
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

/** The secret settings, the providers' included: each may be given as a file too (`<NAME>_FILE`). */
export const SECRET_SETTING_NAMES: readonly string[] = [
  ...Object.entries(SERVICE_SETTINGS as Record<string, { secret?: true }>)
    .filter(([, setting]) => setting.secret)
    .map(([name]) => name),
  ...PROVIDERS.flatMap((provider) =>
    Object.entries(provider.settings)
      .filter(([, variable]) => variable.secret)
      .map(([name]) => name),
  ),
];

/** Every variable the configuration reads, the providers' included (the docs are checked against it). */
export const SETTING_NAMES: readonly string[] = [
  ...Object.keys(Env.shape),
  ...PROVIDERS.flatMap((provider) => Object.keys(provider.settings)),
  ...SECRET_SETTING_NAMES.map((name) => `${name}${FILE_SUFFIX}`),
];

/** The prefixes of this service's variables: its own, and each provider's (`GST_`, `PHONE_`, …). */
const OWN_PREFIXES = [
  ...new Set(["OTP_", "REDIS_", "ROUTER_", ...PROVIDERS.map((provider) => `${provider.id.toUpperCase()}_`)]),
];

/** Every variable name with an own prefix that means something: the settings and the secrets' files. */
const KNOWN_VARIABLES: ReadonlySet<string> = new Set(SETTING_NAMES);

/**
 * The variables with one of this service's prefixes that no setting reads, each with the setting it is closest
 * to when one is close (`OTP_TRUST_PROXY (did you mean TRUST_PROXY?)`): a typo is otherwise silently ignored.
 */
export function unknownVariables(environment: NodeJS.ProcessEnv): string[] {
  return Object.keys(environment)
    .filter((name) => OWN_PREFIXES.some((prefix) => name.startsWith(prefix)) && !KNOWN_VARIABLES.has(name))
    .sort()
    .map((name) => {
      const close = closestSetting(name);
      return close ? `${name} (did you mean ${close}?)` : name;
    });
}

/** The known variable nearest to `name` in edits (without an `OTP_` prefix on either side), if within two. */
function closestSetting(name: string): string | null {
  const bare = (text: string) => text.replace(/^OTP_/, "");
  let best: { name: string; distance: number } | null = null;
  for (const known of KNOWN_VARIABLES) {
    const distance = Math.min(editDistance(name, known), editDistance(bare(name), bare(known)));
    if (distance <= 2 && (best === null || distance < best.distance)) best = { name: known, distance };
  }
  return best?.name ?? null;
}

/** Levenshtein distance (names are short: the table is at most 64 × 64). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(substitution, (previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * Read and validate the environment. Throws {@link ConfigError} naming every bad variable. In sandbox mode,
 * `sandbox` is what the configuration points at (the providers' and the human verifier's fakes).
 */
export function loadConfig(given: NodeJS.ProcessEnv = process.env, sandbox?: SandboxEndpoints): Config {
  const files = readSecretFiles(given, SECRET_SETTING_NAMES);
  if (files.problems.length > 0) throw new ConfigError(files.problems.join("; "));
  const { environment } = files;
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
  const providers: Record<string, unknown> = {};
  for (const { id, settings, values, check } of providerValues) {
    const own = readProvider(id, settings, values ?? {}, problems);
    if (own) problems.push(...check(own));
    if (own) providers[id] = own;
  }
  const mode = env.OTP_MODE ?? (Object.keys(providers).length === 0 ? "sandbox" : "live");
  // Real providers are real users' OTPs: NODE_ENV (often unset, or left at "development") changes nothing.
  const production = mode === "live";
  const warnings: string[] = [];
  const unknown = unknownVariables(given);
  if (unknown.length > 0) {
    const named = `unknown variable${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}`;
    if (production) problems.push(`${named}: unset or rename (docs/settings.md lists every setting)`);
    else warnings.push(`${named}: ignored (docs/settings.md lists every setting)`);
  }

  if (mode === "sandbox" && env.NODE_ENV === "production") {
    problems.push(
      env.OTP_MODE === undefined
        ? "no provider is configured, and the sandbox (the default without one) is refused when NODE_ENV=production: " +
            "set the variables of at least one provider (e.g. PHONE_BASE_URL; see docs/settings.md)"
        : "OTP_MODE: sandbox is refused when NODE_ENV=production",
    );
  }
  if (production && !env.ROUTER_SECRET && !env.OTP_ALLOW_NO_ROUTER_SECRET) {
    problems.push(
      `ROUTER_SECRET: required in live mode, at least ${ROUTER_SECRET_MIN_LENGTH} characters (${GENERATE_SECRET}), ` +
        "and the same in the router's `router-authorization` header; only on a private network that nothing but the " +
        "router can reach, OTP_ALLOW_NO_ROUTER_SECRET=true runs without it",
    );
  }
  if (env.ROUTER_SECRET_PREVIOUS !== undefined && env.ROUTER_SECRET === undefined) {
    problems.push("ROUTER_SECRET_PREVIOUS: only with ROUTER_SECRET (the secret the router moves to)");
  }
  if (env.ROUTER_SECRET_PREVIOUS !== undefined && env.ROUTER_SECRET_PREVIOUS === env.ROUTER_SECRET) {
    problems.push(
      "ROUTER_SECRET_PREVIOUS: the same as ROUTER_SECRET; unset it, or set the new secret in ROUTER_SECRET",
    );
  }
  if (env.OTP_STATE_SECRET_PREVIOUS !== undefined && env.OTP_STATE_SECRET === undefined) {
    problems.push("OTP_STATE_SECRET_PREVIOUS: only with OTP_STATE_SECRET (the secret state is moved to)");
  }
  if (env.OTP_STATE_SECRET_PREVIOUS !== undefined && env.OTP_STATE_SECRET_PREVIOUS === env.OTP_STATE_SECRET) {
    problems.push(
      "OTP_STATE_SECRET_PREVIOUS: the same as OTP_STATE_SECRET; unset it, or set the new secret in OTP_STATE_SECRET",
    );
  }
  if (mode === "live") problems.push(...plainHttpUrls(environment));
  const phonePolicy = readPhonePolicy(env, problems);
  const humanVerification = readHumanVerification(env, mode, production, problems, warnings, sandbox);
  const store = readStore(env, problems);
  const tracing = readTracing(env, problems);
  if (problems.length > 0) throw new ConfigError(problems.join("; "));

  const relaxedLimits = mode === "sandbox" ? LIMIT_NAMES.filter((name) => env[name] === undefined) : [];
  const limit = (name: keyof typeof LIMIT_DEFAULTS) => env[name] ?? LIMIT_DEFAULTS[name][mode];

  return {
    port: env.PORT,
    host: env.HOST ?? SERVICE_SETTINGS.HOST.modes[mode],
    production,
    mode,
    warnings,
    providers: mode === "sandbox" && sandbox ? sandbox.providers : providers,
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
    stateSecretPrevious: env.OTP_STATE_SECRET_PREVIOUS ?? null,
    routerSecret: env.ROUTER_SECRET ?? null,
    routerSecretPrevious: env.ROUTER_SECRET_PREVIOUS ?? null,
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
    maxDocumentBytes: env.OTP_MAX_DOCUMENT_BYTES,
    http: {
      requestTimeoutMs: env.OTP_HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: env.OTP_HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: env.OTP_HTTP_MAX_CONNECTIONS,
    },
    logLevel: env.LOG_LEVEL,
    introspection: env.INTROSPECTION ?? SERVICE_SETTINGS.INTROSPECTION.modes[mode],
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
  const types = env.OTP_PHONE_ALLOWED_TYPES;
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
const TEST_SECRETS = new Set(Object.values(HUMAN_VERIFIER_TEST_KEYS).map((keys) => keys.passSecret));

/** `OTP_HUMAN_VERIFICATION*`: a verifier with its keys whenever the mode is not `off` (sandbox: test keys). */
function readHumanVerification(
  env: Env,
  mode: "sandbox" | "live",
  production: boolean,
  problems: string[],
  warnings: string[],
  sandbox: SandboxEndpoints | undefined,
): HumanVerificationSettings {
  const settings = {
    mode: env.OTP_HUMAN_VERIFICATION,
    after: env.OTP_HUMAN_VERIFICATION_AFTER,
    failOpen: env.OTP_HUMAN_VERIFIER_FAIL_OPEN,
    maxPerIpPerMinute: env.OTP_HUMAN_VERIFIER_MAX_PER_IP_PER_MINUTE,
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
    problems.push(
      "OTP_HUMAN_VERIFIER_SECRET: a documented test secret is refused when NODE_ENV=production or in live mode",
    );
  }
  // Live mode requires it when verification is on (refused above): the default is the sandbox's.
  const named = env.OTP_HUMAN_VERIFIER ?? SERVICE_SETTINGS.OTP_HUMAN_VERIFIER.modes.sandbox;
  const kind = named.toUpperCase() as HumanVerifierKind;
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
  if (production && hostnames === undefined) {
    warnings.push(
      "OTP_HUMAN_VERIFIER_HOSTNAMES is not set: a proof solved on any page the verifier's keys allow passes; " +
        "set it to the hostnames of the pages that show the widget (required if the key's own domain check is off)",
    );
  }
  // Live mode requires both keys (refused above); the test keys are the sandbox's.
  const testKeys = HUMAN_VERIFIER_TEST_KEYS[kind];
  const sandboxUrl = mode === "sandbox" ? sandbox?.humanVerifierUrl : undefined;
  return {
    ...settings,
    verifier: {
      kind,
      secret: env.OTP_HUMAN_VERIFIER_SECRET ?? testKeys.passSecret,
      siteKey: env.OTP_HUMAN_VERIFIER_SITE_KEY ?? testKeys.siteKey,
      url: env.OTP_HUMAN_VERIFIER_URL ?? sandboxUrl ?? SITEVERIFY_URLS[kind],
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

/** The store: memory, or Redis by URL (`redis://`, `rediss://` for TLS), through Sentinel, or a Cluster. */
function readStore(env: Env, problems: string[]): StoreSettings {
  const sentinelVariables = env.REDIS_SENTINELS !== undefined || env.REDIS_SENTINEL_NAME !== undefined;
  if (env.OTP_STORE !== "redis") return { kind: "memory", maxMb: env.OTP_MEMORY_MAX_MB };
  const ca = readCaFile(env.REDIS_TLS_CA_FILE, problems);
  if (env.REDIS_TLS === false && ca !== null) {
    problems.push("REDIS_TLS, REDIS_TLS_CA_FILE: a CA file needs TLS; unset REDIS_TLS=false");
  }
  if (env.REDIS_URL && ca !== null && !env.REDIS_URL.startsWith("rediss://")) {
    problems.push("REDIS_TLS_CA_FILE: needs TLS, but REDIS_URL is redis://; use rediss://");
  }
  if (env.REDIS_URL && env.REDIS_TLS !== undefined) {
    problems.push("REDIS_TLS: with REDIS_URL, TLS is its scheme (rediss://); unset REDIS_TLS");
  }
  const tls = ca !== null || env.REDIS_TLS === true ? { tls: { ca } } : {};
  if (!env.OTP_STATE_SECRET) {
    problems.push("OTP_STATE_SECRET: required when OTP_STORE=redis (the same value on every replica)");
  }
  const keyPrefix = env.REDIS_KEY_PREFIX;
  const allowEviction = env.OTP_REDIS_ALLOW_EVICTION;
  if (env.REDIS_URL && sentinelVariables) {
    problems.push("REDIS_URL, REDIS_SENTINELS: set one of them, not both");
  }
  if (env.REDIS_CLUSTER_NODES !== undefined) {
    if (env.REDIS_URL || sentinelVariables) {
      problems.push("REDIS_CLUSTER_NODES: set it alone, without REDIS_URL or REDIS_SENTINELS");
    }
    const nodes = parseSentinels(env.REDIS_CLUSTER_NODES);
    if (nodes === null) {
      problems.push("REDIS_CLUSTER_NODES: expected host:port[,host:port...] with ports 1-65535");
    }
    return {
      kind: "redis",
      cluster: { nodes: nodes ?? [], password: env.REDIS_PASSWORD ?? null },
      keyPrefix,
      allowEviction,
      ...tls,
    };
  }
  if (env.REDIS_URL) {
    return { kind: "redis", url: env.REDIS_URL, keyPrefix, allowEviction, ...tls };
  }
  if (!env.REDIS_SENTINELS) {
    problems.push(
      "REDIS_URL: required when OTP_STORE=redis (or REDIS_SENTINELS with REDIS_SENTINEL_NAME for Sentinel, or REDIS_CLUSTER_NODES for a Cluster)",
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
    ...tls,
  };
}

/** The PEM certificates of `REDIS_TLS_CA_FILE`, read at start; null when unset. */
function readCaFile(path: string | undefined, problems: string[]): string | null {
  if (path === undefined) return null;
  let pem: string;
  try {
    pem = readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? "unreadable";
    problems.push(`REDIS_TLS_CA_FILE: the file ${path} cannot be read (${reason})`);
    return null;
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    problems.push(
      `REDIS_TLS_CA_FILE: the file ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
    return null;
  }
  return pem;
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
