import { ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { describe, expect, it } from "vitest";
import type { OtpStore } from "../../src/otp/store/store.js";
import { SpanScope } from "../../src/tracing/scope.js";
import { tracedStore } from "../../src/tracing/store.js";

/** A store of a class whose methods the wrapper has never heard of, plus one on the object itself. */
class NewStore {
  readonly calls: string[] = [];
  async newMethod(value: number): Promise<number> {
    this.calls.push("newMethod");
    return Promise.resolve(value + 1);
  }
  async failing(): Promise<never> {
    return Promise.reject(new RangeError("the store's message, which may quote a key"));
  }
  size(): number {
    return this.calls.length;
  }
  async ping(): Promise<boolean> {
    return Promise.resolve(true);
  }
}

function traced() {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const scope = new SpanScope(provider.getTracer("test"));
  const raw = Object.assign(new NewStore(), { ownMethod: () => Promise.resolve("own") });
  const store = tracedStore(scope, raw as unknown as OtpStore, "memory") as unknown as typeof raw;
  const inRequest = <T>(run: () => Promise<T>) => {
    const root = scope.tracer.startSpan("request");
    return scope.storage.run(trace.setSpan(ROOT_CONTEXT, root), run).finally(() => {
      root.end();
    });
  };
  const spans = () => exporter.getFinishedSpans().filter((span) => span.name.startsWith("store "));
  return { raw, store, inRequest, spans };
}

describe("the store's spans are generic over its methods", () => {
  it("traces a method it does not list, on the store's own object, with the store's own this", async () => {
    const { raw, store, inRequest, spans } = traced();
    await inRequest(async () => {
      expect(await store.newMethod(1)).toBe(2);
      expect(await store.ownMethod()).toBe("own");
    });
    expect(raw.calls).toEqual(["newMethod"]);
    expect(spans().map((span) => [span.name, span.attributes])).toEqual([
      ["store newMethod", { "otp.store": "memory", "db.operation.name": "newMethod" }],
      ["store ownMethod", { "otp.store": "memory", "db.operation.name": "ownMethod" }],
    ]);
  });

  it("marks a failed call by the error's type only, and answers a synchronous method synchronously", async () => {
    const { store, inRequest, spans } = traced();
    await inRequest(async () => {
      await expect(store.failing()).rejects.toThrow(RangeError);
      expect(store.size()).toBe(0);
    });
    const [failed, size] = spans();
    expect(failed?.attributes["error.type"]).toBe("RangeError");
    expect(failed?.status.message).toBe("RangeError");
    expect(size?.name).toBe("store size");
  });

  it("makes no span outside a traced request, nor for probes", async () => {
    const { store, inRequest, spans } = traced();
    expect(await store.newMethod(1)).toBe(2);
    await inRequest(async () => {
      expect(await store.ping()).toBe(true);
    });
    expect(spans()).toEqual([]);
  });
});
