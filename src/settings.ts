/**
 * The service's own environment variables, as one list: each one's schema (`src/env.ts`), its default, and what it
 * means. A default is written once: the schema's own, or `modes` when it depends on the mode (`config.ts` reads
 * both, the docs show both), or words only when it is a rule rather than a value. `config.ts` reads them;
 * docs/settings.md and the README's "Essential settings" are generated from this list and the providers'
 * (`npm run docs:write`). The providers' variables are in their descriptors (`src/providers/<id>/index.ts`).
 */
import { z } from "zod";
import { count, flag, flagOr, integer, list, listOr, optionalCount, text, url, variable } from "./env.js";
import { DEFAULT_VERIFIER_PER_IP_PER_MINUTE } from "./otp/human-verification.js";
import { DEFAULT_MAX_MB } from "./otp/store/memory.js";
import { DEFAULT_SERVICE_NAME, DEFAULT_TRACES_PROTOCOL, OTEL_ENV } from "./tracing/settings.js";

export interface ServiceSetting {
  schema: z.ZodType;
  /** The default in each mode, when it depends on the mode (the schema then has none); a mode left out has none. */
  modes?: { readonly live?: ModeDefault; readonly sandbox?: ModeDefault };
  /** The default in words, only when it is a rule rather than a value (else the schema's, or `modes`). */
  default?: string;
  /** What it does, for docs/settings.md. */
  meaning: string;
  /** Shown in the README's "Essential settings" too. */
  essential?: true;
  /** A credential: it may be given as a file too (`<NAME>_FILE`, `src/secret-files.ts`). */
  secret?: true;
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
  OTP_MAX_PER_RANGE_PER_HOUR: { live: 20, sandbox: 1000 },
} as const satisfies Record<string, { live: number; sandbox: number }>;

/** A default that depends on the mode. */
type ModeDefault = string | number | boolean;

export const ROUTER_SECRET_MIN_LENGTH = 32;
const GENERATE_COMMAND = "openssl rand -base64 32";
export const GENERATE_SECRET = `generate one with \`${GENERATE_COMMAND}\``;

/** The router's secret, current or previous. */
const routerSecret = variable(
  z
    .string()
    .min(ROUTER_SECRET_MIN_LENGTH, `at least ${ROUTER_SECRET_MIN_LENGTH} characters (${GENERATE_SECRET})`)
    .optional(),
);

const STATE_SECRET_MIN_LENGTH = 32;

/** The state secret, current or previous. */
const stateSecret = variable(z.string().min(STATE_SECRET_MIN_LENGTH).optional());

/** A local limit: unset keeps the mode's default (`LIMIT_DEFAULTS`). */
const limit = (name: keyof typeof LIMIT_DEFAULTS, meaning: string) => ({
  schema: optionalCount,
  modes: LIMIT_DEFAULTS[name],
  meaning,
});

/** Every variable of the service, in the order docs/settings.md shows them. */
export const SERVICE_SETTINGS = {
  PORT: {
    schema: integer(0, 65535, 4001),
    meaning: "HTTP port (`POST /graphql`, `GET /healthz`, `GET /readyz`, `GET /metrics`)",
    essential: true,
  },
  HOST: {
    schema: text,
    // The sandbox answers anyone with the OTP itself: this machine only, unless HOST says otherwise.
    modes: { live: "0.0.0.0", sandbox: "127.0.0.1" },
    meaning: "interface to listen on",
  },
  OTP_MODE: {
    schema: variable(z.enum(["sandbox", "live"]).optional()),
    default: "`sandbox` when no provider is configured, else `live`",
    meaning: "`sandbox` starts the built-in fakes and shows `devOtp`",
  },
  NODE_ENV: {
    schema: text,
    meaning:
      '`production` refuses sandbox mode (so at least one provider must be configured). The production defaults (`ROUTER_SECRET` required, no "Did you mean" suggestions nor schema names in errors, introspection and Apollo Sandbox off, unknown variables refused) hold in live mode whatever it says',
  },
  OTP_COOLDOWN_SECONDS: limit(
    "OTP_COOLDOWN_SECONDS",
    "local gap between sends to one destination (0 turns it off)",
  ),
  OTP_MAX_PER_DESTINATION_PER_HOUR: limit(
    "OTP_MAX_PER_DESTINATION_PER_HOUR",
    "hourly cap per destination, a phone's across every provider that sends to it (0 turns it off)",
  ),
  OTP_MAX_PER_DEVICE_PER_HOUR: limit("OTP_MAX_PER_DEVICE_PER_HOUR", "hourly cap per device (0 turns it off)"),
  OTP_MAX_PER_IP_PER_HOUR: limit("OTP_MAX_PER_IP_PER_HOUR", "hourly cap per client IP (0 turns it off)"),
  OTP_MAX_PER_RANGE_PER_HOUR: limit(
    "OTP_MAX_PER_RANGE_PER_HOUR",
    "hourly cap per number range, all providers together (0 turns it off); [SMS pumping](sms-pumping.md)",
  ),
  OTP_RANGE_SUFFIX_DIGITS: {
    schema: integer(1, 8, 3),
    meaning: "a number range is the number without its last this many digits",
  },
  OTP_MAX_PER_PROVIDER_PER_HOUR: {
    schema: count(0),
    meaning: "hourly budget per provider (0 turns it off)",
  },
  OTP_MAX_PER_COUNTRY_PER_HOUR: {
    schema: count(0),
    meaning: "hourly budget per country of phone destinations (0 turns it off)",
  },
  OTP_PHONE_ALLOWED_COUNTRIES: {
    schema: list,
    default: "any",
    meaning: "ISO 3166-1 alpha-2 list of the countries phone numbers may belong to",
  },
  OTP_PHONE_ALLOWED_TYPES: {
    schema: listOr(["MOBILE", "FIXED_LINE_OR_MOBILE"]),
    meaning:
      "number types that may receive an OTP; premium-rate, shared-cost, toll-free, UAN, pager and voicemail never",
  },
  OTP_HUMAN_VERIFICATION: {
    schema: variable(z.enum(["off", "always", "adaptive"]).default("off")),
    meaning:
      "`off`, `always` or `adaptive` (after `OTP_HUMAN_VERIFICATION_AFTER` sends); [SMS pumping](sms-pumping.md)",
  },
  OTP_HUMAN_VERIFICATION_AFTER: {
    schema: integer(1, 1000, 2),
    meaning: "with `adaptive`: verification after this many sends in the hour by a device, IP or range",
  },
  OTP_HUMAN_VERIFIER: {
    schema: variable(z.enum(["turnstile", "hcaptcha", "recaptcha"]).optional()),
    modes: { sandbox: "turnstile" },
    meaning: "`turnstile`, `hcaptcha` or `recaptcha`; required in live mode when verification is on",
  },
  OTP_HUMAN_VERIFIER_SECRET: {
    schema: text,
    default: "sandbox: the test key",
    meaning: "its secret key; required in live mode when verification is on",
    secret: true,
  },
  OTP_HUMAN_VERIFIER_SITE_KEY: {
    schema: text,
    default: "sandbox: the test key",
    meaning: "its site key; required in live mode when verification is on",
  },
  OTP_HUMAN_VERIFIER_URL: {
    schema: url,
    default: "the documented siteverify URL",
    meaning: "where proofs are checked (`https://`, loopback excepted)",
  },
  OTP_HUMAN_VERIFIER_FAIL_OPEN: {
    schema: flagOr(false),
    meaning: "whether an unreachable verifier lets sends through",
  },
  OTP_HUMAN_VERIFIER_MAX_PER_IP_PER_MINUTE: {
    schema: count(DEFAULT_VERIFIER_PER_IP_PER_MINUTE),
    meaning:
      "calls to the verifier per client IP (an IPv6 /64) in a sliding minute, counted before each call; past it `RateLimited` (0 turns it off)",
  },
  OTP_HUMAN_VERIFIER_HOSTNAMES: {
    schema: list,
    default: "not checked",
    meaning:
      "the hostnames (comma list) of the pages that show the widget; a proof solved elsewhere is rejected " +
      "([checks](sms-pumping.md#what-a-passing-proof-must-also-say))",
  },
  OTP_HUMAN_VERIFIER_ACTION: {
    schema: variable(
      z
        .string()
        .trim()
        .regex(/^[\w/-]{1,64}$/, "1 to 64 letters, digits, _, - or /, as the widget is rendered with")
        .optional(),
    ),
    default: "not checked",
    meaning: "Turnstile, reCAPTCHA v3: the widget's action a proof must have",
  },
  OTP_HUMAN_VERIFIER_MIN_SCORE: {
    schema: variable(z.coerce.number().min(0).max(1).optional()),
    default: "not checked",
    meaning: "reCAPTCHA v3: the lowest score (0.0-1.0) a proof must have",
  },
  OTP_STORE: {
    schema: variable(z.enum(["memory", "redis"]).default("memory")),
    meaning: "`redis` shares state between replicas (with the same `OTP_STATE_SECRET` on each)",
    essential: true,
  },
  REDIS_URL: {
    schema: variable(z.url({ protocol: /^rediss?$/ }).optional()),
    meaning: "with `redis`: `redis://` or `rediss://` (TLS)",
    essential: true,
    secret: true,
  },
  REDIS_SENTINELS: {
    schema: text,
    meaning:
      "Redis through Sentinel instead of `REDIS_URL`: `host:port,host:port,...` ([failover](state-and-limits.md))",
  },
  REDIS_CLUSTER_NODES: {
    schema: text,
    meaning:
      "a Redis Cluster instead of `REDIS_URL`: seed nodes `host:port,host:port,...` (all state in one hash slot: [capacity](state-and-limits.md#redis-cluster))",
  },
  REDIS_SENTINEL_NAME: { schema: text, meaning: "with `REDIS_SENTINELS`: the name the sentinels monitor" },
  REDIS_PASSWORD: {
    schema: text,
    meaning: "with `REDIS_SENTINELS` or `REDIS_CLUSTER_NODES`: the primaries' and replicas' password",
    secret: true,
  },
  REDIS_SENTINEL_PASSWORD: {
    schema: text,
    meaning: "with `REDIS_SENTINELS`: the sentinels' own password",
    secret: true,
  },
  REDIS_TLS: {
    schema: flag,
    default: "`false`; on with `REDIS_TLS_CA_FILE`",
    meaning:
      "TLS to the sentinels and Redis with `REDIS_SENTINELS`, to the nodes with `REDIS_CLUSTER_NODES` (`REDIS_URL` says it with `rediss://`)",
  },
  REDIS_TLS_CA_FILE: {
    schema: text,
    default: "the system's CAs",
    meaning:
      "a PEM file of the private CA that signs Redis's certificates, for `rediss://`, Sentinel and Cluster (turns TLS on for the last two); the certificate and host name are still checked",
  },
  REDIS_KEY_PREFIX: {
    schema: variable(z.string().max(64).default("otp:")),
    meaning: "put before every Redis key, so several deployments can share one Redis",
  },
  OTP_MEMORY_MAX_MB: {
    schema: integer(1, 1024, DEFAULT_MAX_MB),
    meaning:
      "memory store bound; when full of live state new sends are refused, nothing is forgotten ([the state store under a flood](state-store.md))",
  },
  OTP_REDIS_ALLOW_EVICTION: {
    schema: flagOr(false),
    meaning:
      "start even when Redis's `maxmemory-policy` is not `noeviction` (which evicts live limits); a warning instead of a refusal",
  },
  OTP_STATE_SECRET: {
    schema: stateSecret,
    default: "random per process",
    meaning: `HMAC secret for store keys and idempotency fingerprints, at least ${STATE_SECRET_MIN_LENGTH} characters; required with \`redis\`, the same on every replica`,
    essential: true,
    secret: true,
  },
  OTP_STATE_SECRET_PREVIOUS: {
    schema: stateSecret,
    meaning:
      "during a rotation of `OTP_STATE_SECRET`, the old secret: limits, idempotency records and single-use values written under it still count (read under both, written under the new one); keep it for 24 h ([rotation](operations.md#rotating-a-secret))",
    secret: true,
  },
  ROUTER_SECRET: {
    schema: routerSecret,
    meaning: `at least ${ROUTER_SECRET_MIN_LENGTH} characters (\`${GENERATE_COMMAND}\`); \`/graphql\` then requires header \`router-authorization: <secret>\` (else 401); required in live mode`,
    essential: true,
    secret: true,
  },
  ROUTER_SECRET_PREVIOUS: {
    schema: routerSecret,
    meaning:
      'during a rotation, the router\'s old secret, accepted beside `ROUTER_SECRET` until the router sends the new one; `otp_router_auth_total{secret="previous"}` counts its uses ([rotation](operations.md#rotating-a-secret))',
    secret: true,
  },
  OTP_ALLOW_NO_ROUTER_SECRET: {
    schema: flagOr(false),
    meaning:
      "`true` runs live mode without `ROUTER_SECRET`: only on a private network that nothing but the router can reach",
  },
  OTP_PROVIDER_TIMEOUT_MS: { schema: integer(1, 120_000, 8000), meaning: "timeout of one upstream call" },
  OTP_PROVIDER_MAX_RESPONSE_BYTES: {
    schema: integer(1024, 16_777_216, 262_144),
    meaning: "upstream bodies past this are not read (`UnexpectedProviderResponse`)",
  },
  OTP_BREAKER_FAILURES: {
    schema: integer(1, 1000, 5),
    meaning: "consecutive upstream failures that open a provider's circuit breaker",
  },
  OTP_BREAKER_HALF_OPEN_MS: {
    schema: integer(1, 3_600_000, 30_000),
    meaning: "how long an open breaker refuses calls before one trial call",
  },
  OTP_PROVIDER_MAX_IN_FLIGHT: {
    schema: integer(1, 10_000, 100),
    meaning: "calls to one provider at once; past it `ProviderUnavailable` at once",
  },
  OTP_SHUTDOWN_DEADLINE_MS: {
    schema: integer(0, 600_000, 10_000),
    meaning: "on SIGTERM, how long in-flight requests may take before their connections are closed",
  },
  TRUST_PROXY: {
    schema: count(0),
    meaning: "how many proxy hops of `X-Forwarded-For` to trust for the client IP",
  },
  OTP_MAX_BODY_BYTES: {
    schema: variable(z.coerce.number().int().min(1024).default(65_536)),
    meaning: "request body limit (413 past it)",
  },
  OTP_MAX_DOCUMENT_BYTES: {
    schema: integer(256, 1_048_576, 16_384),
    meaning:
      "a GraphQL document (the `query` text, over POST or GET) larger than this is refused before it is parsed (413, `BAD_REQUEST`); a router's plans are far below 10 KB, the standard introspection query about 2 KB",
  },
  OTP_HTTP_REQUEST_TIMEOUT_MS: {
    schema: integer(100, 600_000, 20_000),
    meaning:
      "a request's headers and body must have arrived within this, or it gets 408 and its connection is closed (a body that stops arriving is cut)",
  },
  OTP_HTTP_KEEP_ALIVE_TIMEOUT_MS: {
    schema: integer(100, 600_000, 72_000),
    meaning: "a kept-alive connection with no request for this long is closed",
  },
  OTP_HTTP_MAX_CONNECTIONS: {
    schema: integer(1, 1_000_000, 1000),
    meaning:
      "connections served at once; past it a new connection may only ask `/healthz`, `/readyz` or `/metrics` (a reserve of 16 for probes), anything else gets 503 ([connections](security.md#connections-and-timeouts))",
  },
  LOG_LEVEL: {
    schema: variable(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info")),
    meaning: "pino level",
    essential: true,
  },
  INTROSPECTION: { schema: flag, modes: { live: false, sandbox: true }, meaning: "`true`/`false`" },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    schema: OTEL_ENV.OTEL_EXPORTER_OTLP_ENDPOINT,
    meaning:
      "OpenTelemetry traces over OTLP/HTTP: the collector's base URL (`/v1/traces` is added); with no endpoint, tracing is off ([traces](observability.md#traces))",
  },
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: {
    schema: OTEL_ENV.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    meaning: "the traces URL as is, instead of `OTEL_EXPORTER_OTLP_ENDPOINT`",
  },
  OTEL_EXPORTER_OTLP_PROTOCOL: {
    schema: OTEL_ENV.OTEL_EXPORTER_OTLP_PROTOCOL,
    default: `\`${DEFAULT_TRACES_PROTOCOL}\``,
    meaning: "`http/protobuf` or `http/json` (`grpc` is refused)",
  },
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: {
    schema: OTEL_ENV.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,
    default: "`OTEL_EXPORTER_OTLP_PROTOCOL`",
    meaning: "the same, for traces only",
  },
  OTEL_SERVICE_NAME: {
    schema: OTEL_ENV.OTEL_SERVICE_NAME,
    default: `\`${DEFAULT_SERVICE_NAME}\``,
    meaning: "the traces' `service.name`",
  },
  OTEL_RESOURCE_ATTRIBUTES: {
    schema: OTEL_ENV.OTEL_RESOURCE_ATTRIBUTES,
    meaning:
      "the traces' resource: `key=value` pairs separated by commas (`service.version=1.4.2,deployment.environment.name=production`); `OTEL_SERVICE_NAME` wins over a `service.name` here",
  },
  OTEL_TRACES_SAMPLER: {
    schema: OTEL_ENV.OTEL_TRACES_SAMPLER,
    meaning: "the standard samplers; parent-based ones follow the router's sampling decision",
  },
  OTEL_TRACES_SAMPLER_ARG: {
    schema: OTEL_ENV.OTEL_TRACES_SAMPLER_ARG,
    meaning: "the ratio of `traceidratio`",
  },
  OTEL_SDK_DISABLED: {
    schema: OTEL_ENV.OTEL_SDK_DISABLED,
    meaning: "`true` turns tracing off even with an endpoint",
  },
  OTEL_TRACES_EXPORTER: {
    schema: OTEL_ENV.OTEL_TRACES_EXPORTER,
    meaning: "`none` turns tracing off even with an endpoint",
  },
} as const satisfies Record<string, ServiceSetting>;

/** The schema of each setting, by name: what `config.ts` parses the environment with. */
type SettingSchemas<Settings extends Record<string, { schema: z.ZodType }>> = {
  [Name in keyof Settings]: Settings[Name]["schema"];
};

export function schemasOf<Settings extends Record<string, { schema: z.ZodType }>>(
  settings: Settings,
): SettingSchemas<Settings> {
  return Object.fromEntries(
    Object.entries(settings).map(([name, setting]) => [name, setting.schema]),
  ) as SettingSchemas<Settings>;
}
