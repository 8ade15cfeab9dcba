/** The context every layer's spans share: the tracer, and the active span of the request being handled. */
import {
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from "@opentelemetry/api";
import { AsyncLocalStorage } from "node:async_hooks";

/** How a span is completed from its call's result. */
export type Describe<T> = (span: Span, result: T) => void;

export class SpanScope {
  readonly tracer: Tracer;
  readonly storage = new AsyncLocalStorage<Context>();

  constructor(tracer: Tracer) {
    this.tracer = tracer;
  }

  /** The context of the traced request being handled, if any. */
  current(): Context | undefined {
    return this.storage.getStore();
  }

  activeSpan(): Span | undefined {
    const context = this.storage.getStore();
    return context && trace.getSpan(context);
  }

  /** `run` in a new span that is the active one while it runs. */
  async active<T>(
    name: string,
    attributes: Attributes,
    run: () => Promise<T>,
    describe?: Describe<T>,
  ): Promise<T> {
    const parent = this.storage.getStore();
    if (!parent) return run();
    const span = this.tracer.startSpan(name, { attributes }, parent);
    return this.storage.run(trace.setSpan(parent, span), () => finish(span, run, describe));
  }

  /** A client span under the active one (none when no request is traced). */
  startChild(name: string, attributes: Attributes): Span | undefined {
    const parent = this.storage.getStore();
    return parent && this.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
  }
}

async function finish<T>(span: Span, run: () => Promise<T>, describe?: Describe<T>): Promise<T> {
  try {
    const result = await run();
    describe?.(span, result);
    return result;
  } catch (error) {
    failed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Mark `span` failed, by the error's type only: a message may quote what it failed on. */
export function failed(span: Span, error: unknown): void {
  const type = error instanceof Error ? error.name : "unknown";
  span.setAttribute("error.type", type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}
