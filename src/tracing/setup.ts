/** The tracer provider of this process: its exporter (OTLP, JSON or protobuf), its sampler and its resource. */
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
} from "@opentelemetry/sdk-trace";
import type { TracingSettings } from "./settings.js";

/** A provider of its own (no process-wide registration), exporting where `settings` say. */
export function tracerProvider(settings: TracingSettings): TracerProvider {
  const exporter =
    settings.protocol === "http/json"
      ? new JsonExporter({ url: settings.endpoint })
      : new ProtobufExporter({ url: settings.endpoint });
  return new TracerProvider({
    resource: resourceFromAttributes({
      ...settings.resourceAttributes,
      "service.name": settings.serviceName,
    }),
    sampler: sampler(settings),
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  });
}

function sampler({ sampler: name, samplerArg }: TracingSettings): Sampler {
  const ratio = () => new TraceIdRatioBasedSampler(samplerArg);
  switch (name) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return ratio();
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: ratio() });
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}
