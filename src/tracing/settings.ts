import { z } from "zod";

/** The name traces carry when `OTEL_SERVICE_NAME` is not set: the package's name. */
export const DEFAULT_SERVICE_NAME = "otp-subgraph";

export const TRACES_PROTOCOLS = ["http/protobuf", "http/json"] as const;
/** The protocol when neither `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` nor `OTEL_EXPORTER_OTLP_PROTOCOL` is set. */
export const DEFAULT_TRACES_PROTOCOL = "http/protobuf";
export const SAMPLERS = [
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio",
] as const;

/** Where and how spans are exported, read from the standard OpenTelemetry variables. */
export interface TracingSettings {
  /** The OTLP/HTTP traces URL (`…/v1/traces`). */
  endpoint: string;
  protocol: (typeof TRACES_PROTOCOLS)[number];
  serviceName: string;
  /** `OTEL_RESOURCE_ATTRIBUTES`: `service.version`, `deployment.environment.name`, … (`service.name` set apart). */
  resourceAttributes: Record<string, string>;
  sampler: (typeof SAMPLERS)[number];
  /** The ratio of the `traceidratio` samplers, 0 to 1. */
  samplerArg: number;
}

const blankToUndefined = (value: unknown) =>
  typeof value === "string" && value.trim() === "" ? undefined : value;
const otlpUrl = z.preprocess(blankToUndefined, z.url({ protocol: /^https?$/ }).optional());
const lower = (value: unknown) => (typeof value === "string" ? value.trim().toLowerCase() : value);

/** The `OTEL_*` variables this service reads (the exporter also reads the OTLP headers, timeout, compression). */
export const OTEL_ENV = {
  OTEL_SDK_DISABLED: z.preprocess(
    (value) => lower(blankToUndefined(value)),
    z.enum(["true", "false"]).optional(),
  ),
  OTEL_TRACES_EXPORTER: z.preprocess(
    (value) => lower(blankToUndefined(value)),
    z.enum(["otlp", "none"]).optional(),
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl,
  OTEL_EXPORTER_OTLP_PROTOCOL: z.preprocess(blankToUndefined, z.string().trim().optional()),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.preprocess(blankToUndefined, z.string().trim().optional()),
  OTEL_SERVICE_NAME: z.preprocess(blankToUndefined, z.string().trim().max(256).optional()),
  OTEL_RESOURCE_ATTRIBUTES: z.preprocess(blankToUndefined, z.string().trim().max(4096).optional()),
  OTEL_TRACES_SAMPLER: z.preprocess(
    (value) => lower(blankToUndefined(value)),
    z.enum(SAMPLERS).default("parentbased_always_on"),
  ),
  OTEL_TRACES_SAMPLER_ARG: z.preprocess(blankToUndefined, z.coerce.number().min(0).max(1).default(1)),
};

type OtelEnv = z.infer<z.ZodObject<typeof OTEL_ENV>>;

/**
 * Tracing is on when a traces endpoint is set (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as given, or
 * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`) and neither `OTEL_SDK_DISABLED=true` nor
 * `OTEL_TRACES_EXPORTER=none` turns it off. OTLP over HTTP only: `grpc` is refused at start.
 */
export function readTracing(env: OtelEnv, problems: string[]): TracingSettings | null {
  if (env.OTEL_SDK_DISABLED === "true" || env.OTEL_TRACES_EXPORTER === "none") return null;
  const protocol =
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? DEFAULT_TRACES_PROTOCOL;
  const endpoint =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (env.OTEL_EXPORTER_OTLP_ENDPOINT && `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces`);
  if (!endpoint) return null;
  if (!isProtocol(protocol)) {
    problems.push(
      "OTEL_EXPORTER_OTLP_PROTOCOL: traces are exported over http/protobuf or http/json (grpc is not included)",
    );
    return null;
  }
  const resourceAttributes = parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES ?? "");
  if (resourceAttributes === null) {
    problems.push(
      "OTEL_RESOURCE_ATTRIBUTES: must be key=value pairs separated by commas, values percent-encoded " +
        "(e.g. service.version=1.4.2,deployment.environment.name=production)",
    );
    return null;
  }
  const { "service.name": namedThere, ...attributes } = resourceAttributes;
  return {
    endpoint,
    protocol,
    // OTEL_SERVICE_NAME wins over a service.name in OTEL_RESOURCE_ATTRIBUTES (the specification's order).
    serviceName: env.OTEL_SERVICE_NAME ?? namedThere ?? DEFAULT_SERVICE_NAME,
    resourceAttributes: attributes,
    sampler: env.OTEL_TRACES_SAMPLER,
    samplerArg: env.OTEL_TRACES_SAMPLER_ARG,
  };
}

/**
 * `OTEL_RESOURCE_ATTRIBUTES` as the specification writes it: `key=value` pairs separated by commas, each value
 * percent-encoded (W3C Baggage's octets), spaces around either trimmed. Null when a pair is not one (the whole
 * value is then refused, as the specification discards it).
 */
export function parseResourceAttributes(text: string): Record<string, string> | null {
  const attributes: Record<string, string> = {};
  if (text.trim() === "") return attributes;
  for (const pair of text.split(",")) {
    const at = pair.indexOf("=");
    if (at < 0) return null;
    const key = pair.slice(0, at).trim();
    if (!/^[\x21-\x7e]{1,255}$/.test(key) || key.includes("=")) return null;
    try {
      attributes[key] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      return null;
    }
  }
  return attributes;
}

function isProtocol(value: string): value is TracingSettings["protocol"] {
  return (TRACES_PROTOCOLS as readonly string[]).includes(value);
}
