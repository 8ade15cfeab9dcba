/**
 * Store spans: the store, with a span for each call made while a request is traced. Generic over the store's
 * methods (found on the object and its prototypes), so a new store method is traced without a line here; only what
 * a span records of a result is written per method ({@link DESCRIBE}).
 */
import type { Attributes } from "@opentelemetry/api";
import type { OtpStore } from "../otp/store/store.js";
import { failed, type Describe, type SpanScope } from "./scope.js";

type Method = (...args: unknown[]) => unknown;

/** What a span records of a method's result, for the methods whose result says something (bounded values). */
const DESCRIBE: { [K in keyof OtpStore]?: Describe<Awaited<ReturnType<OtpStore[K]>>> } = {
  loadChallenges: (span, found) => span.setAttribute("otp.store.found", found.filter(Boolean).length),
  consumeLimits: (span, decision) => {
    span.setAttribute("otp.limit.allowed", decision.allowed);
    if (!decision.allowed) span.setAttribute("otp.limit.refused_by", decision.limit);
  },
  claimIdempotency: (span, record) => span.setAttribute("otp.idempotency.claimed", record === null),
};

/** Not traced: a watch lives past its call, and probes and shutdown are not a request's work. */
const UNTRACED = new Set<string>(["watchIdempotency", "ping", "close"]);

export function tracedStore(scope: SpanScope, store: OtpStore, kind: "memory" | "redis"): OtpStore {
  const base = { "otp.store": kind, ...(kind === "redis" && { "db.system.name": "redis" }) };
  const traced: Record<string, Method> = {};
  for (const name of methodNames(store)) {
    const method = (store as unknown as Record<string, Method>)[name] as Method;
    traced[name] = UNTRACED.has(name)
      ? method.bind(store)
      : spanned(
          scope,
          store,
          method,
          `store ${name}`,
          { ...base, "db.operation.name": name },
          describer(name),
        );
  }
  return traced as unknown as OtpStore;
}

function describer(name: string): Describe<unknown> | undefined {
  return (DESCRIBE as Record<string, Describe<unknown> | undefined>)[name];
}

/** `method` in a client span under the active one; a result that is not a promise ends the span at once. */
function spanned(
  scope: SpanScope,
  store: object,
  method: Method,
  name: string,
  attributes: Attributes,
  describe: Describe<unknown> | undefined,
): Method {
  return (...args) => {
    const span = scope.startChild(name, attributes);
    if (!span) return method.apply(store, args);
    let result: unknown;
    try {
      result = method.apply(store, args);
    } catch (error) {
      failed(span, error);
      span.end();
      throw error;
    }
    if (!(result instanceof Promise)) {
      span.end();
      return result;
    }
    return result.then(
      (value: unknown) => {
        describe?.(span, value);
        span.end();
        return value;
      },
      (error: unknown) => {
        failed(span, error);
        span.end();
        throw error;
      },
    );
  };
}

/** The functions a store answers to: its own and its classes' (not `Object`'s, not the constructor). */
function methodNames(store: object): Set<string> {
  const names = new Set<string>();
  for (
    let level: object | null = store;
    level && level !== Object.prototype;
    level = Object.getPrototypeOf(level) as object | null
  ) {
    for (const name of Object.getOwnPropertyNames(level)) {
      const descriptor = Object.getOwnPropertyDescriptor(level, name);
      if (name !== "constructor" && typeof descriptor?.value === "function") names.add(name);
    }
  }
  return names;
}
