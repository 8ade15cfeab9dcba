import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** One span as the receiver decoded it, ids in lower-case hex. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, unknown>;
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  serviceName: unknown;
  /** Every attribute of the span's resource (`service.name` among them). */
  resource: Record<string, unknown>;
}

/** An OTLP/HTTP traces receiver on loopback: takes http/protobuf and http/json, answers 200. */
export interface OtlpReceiver {
  /** The base URL, for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  url: string;
  spans: ReceivedSpan[];
  /** Every request body as received, for searching for values that must never be exported. */
  bodies: Buffer[];
  contentTypes: string[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const bodies: Buffer[] = [];
  const contentTypes: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const type = req.headers["content-type"] ?? "";
      bodies.push(body);
      contentTypes.push(type);
      if (req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      if (type.startsWith("application/json")) {
        spans.push(...fromJson(JSON.parse(body.toString("utf8")) as JsonRequest));
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      } else {
        spans.push(...fromProtobuf(body));
        res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    bodies,
    contentTypes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: JsonAnyValue[] };
}
interface JsonKeyValue {
  key: string;
  value: JsonAnyValue;
}
interface JsonRequest {
  resourceSpans?: {
    resource?: { attributes?: JsonKeyValue[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        traceState?: string;
        name: string;
        kind: number;
        attributes?: JsonKeyValue[];
        status?: { code?: number };
      }[];
    }[];
  }[];
}

function jsonValue(value: JsonAnyValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(jsonValue);
  return undefined;
}

function jsonAttributes(list: JsonKeyValue[] = []): Record<string, unknown> {
  return Object.fromEntries(list.map(({ key, value }) => [key, jsonValue(value)]));
}

/** OTLP/JSON writes ids as hex (the OTLP/JSON mapping), not base64. */
function fromJson(request: JsonRequest): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = jsonAttributes(resourceSpans.resource?.attributes);
    const serviceName = resource["service.name"];
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: span.traceId.toLowerCase(),
        spanId: span.spanId.toLowerCase(),
        parentSpanId: (span.parentSpanId ?? "").toLowerCase(),
        traceState: span.traceState ?? "",
        name: span.name,
        kind: span.kind,
        attributes: jsonAttributes(span.attributes),
        statusCode: span.status?.code ?? 0,
        serviceName,
        resource,
      })),
    );
  });
}

/** Protobuf fields of one message: field number to its values (varints as bigint, the rest as bytes). */
function fields(buffer: Buffer): Map<number, (bigint | Buffer)[]> {
  const result = new Map<number, (bigint | Buffer)[]>();
  let offset = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buffer[offset++] ?? 0;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
  };
  while (offset < buffer.length) {
    const tag = Number(varint());
    const [field, wire] = [tag >> 3, tag & 7];
    let value: bigint | Buffer;
    if (wire === 0) value = varint();
    else if (wire === 1) value = buffer.subarray(offset, (offset += 8));
    else if (wire === 5) value = buffer.subarray(offset, (offset += 4));
    else if (wire === 2) {
      const length = Number(varint());
      value = buffer.subarray(offset, (offset += length));
    } else throw new Error(`unexpected protobuf wire type ${wire}`);
    result.set(field, [...(result.get(field) ?? []), value]);
  }
  return result;
}

const bytesOf = (map: Map<number, (bigint | Buffer)[]>, field: number): Buffer[] =>
  (map.get(field) ?? []).filter((value): value is Buffer => Buffer.isBuffer(value));
const one = (map: Map<number, (bigint | Buffer)[]>, field: number) => map.get(field)?.[0];

function protobufValue(buffer: Buffer): unknown {
  const value = fields(buffer);
  const string = one(value, 1);
  if (Buffer.isBuffer(string)) return string.toString("utf8");
  const bool = one(value, 2);
  if (typeof bool === "bigint") return bool === 1n;
  const int = one(value, 3);
  if (typeof int === "bigint") return Number(BigInt.asIntN(64, int));
  const double = one(value, 4);
  if (Buffer.isBuffer(double)) return double.readDoubleLE(0);
  const array = one(value, 5);
  if (Buffer.isBuffer(array)) return bytesOf(fields(array), 1).map(protobufValue);
  return undefined;
}

function protobufAttributes(list: Buffer[]): Record<string, unknown> {
  return Object.fromEntries(
    list.map((keyValue) => {
      const entry = fields(keyValue);
      const [key] = bytesOf(entry, 1);
      const [value] = bytesOf(entry, 2);
      return [key?.toString("utf8") ?? "", value ? protobufValue(value) : undefined];
    }),
  );
}

/** ExportTraceServiceRequest → ResourceSpans(1) → Resource(1), ScopeSpans(2) → Span(2). */
function fromProtobuf(body: Buffer): ReceivedSpan[] {
  return bytesOf(fields(body), 1).flatMap((resourceSpansBytes) => {
    const resourceSpans = fields(resourceSpansBytes);
    const [resourceBytes] = bytesOf(resourceSpans, 1);
    const resource = resourceBytes ? protobufAttributes(bytesOf(fields(resourceBytes), 1)) : {};
    const serviceName = resource["service.name"];
    return bytesOf(resourceSpans, 2).flatMap((scopeSpans) =>
      bytesOf(fields(scopeSpans), 2).map((spanBytes) => {
        const span = fields(spanBytes);
        const hex = (field: number) => bytesOf(span, field)[0]?.toString("hex") ?? "";
        const text = (field: number) => bytesOf(span, field)[0]?.toString("utf8") ?? "";
        const [status] = bytesOf(span, 15);
        const code = status ? one(fields(status), 3) : undefined;
        return {
          traceId: hex(1),
          spanId: hex(2),
          parentSpanId: hex(4),
          traceState: text(3),
          name: text(5),
          kind: Number(one(span, 6) ?? 0n),
          attributes: protobufAttributes(bytesOf(span, 9)),
          statusCode: typeof code === "bigint" ? Number(code) : 0,
          serviceName,
          resource,
        };
      }),
    );
  });
}
