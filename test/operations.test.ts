import { readFile } from "node:fs/promises";
import type { Metric } from "prom-client";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, SETTING_NAMES } from "../src/config.js";
import { Metrics } from "../src/metrics.js";

const runbook = await readFile(new URL("../docs/operations.md", import.meta.url), "utf8");
const settingsPage = await readFile(new URL("../docs/settings.md", import.meta.url), "utf8");
const metrics = new Metrics({ processMetrics: false });
// The memory store's gauges exist when the memory store is used.
metrics.memoryStore(() => ({ usedBytes: 0, maxBytes: 1, challenges: 0, counters: 0, idempotency: 0 }));
const registry = metrics.registry;
const metricNames = (await registry.getMetricsAsJSON()).map((metric) => metric.name);

/** Variables the OpenTelemetry exporter reads itself (documented, not parsed by the configuration). */
const READ_BY_EXPORTER = ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TIMEOUT"];

/** GraphQL codes and enum values the runbook quotes: not settings. */
const NOT_SETTINGS = ["SERVICE_UNAVAILABLE", "LOCAL_POLICY"];

/** Backquoted names with an underscore that look like environment variables. */
function variablesIn(text: string): string[] {
  const names = [...text.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/g)].map((match) => match[1] ?? "");
  return [...new Set(names)].filter((name) => !NOT_SETTINGS.includes(name));
}

/** The backquoted names in the first column of a page's tables. */
function tableVariables(text: string): string[] {
  const cells = text.split("\n").flatMap((line) => /^\| (`[^|]*) \|/.exec(line)?.[1] ?? []);
  return cells.flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1] ?? ""));
}

describe("docs/operations.md against the code", () => {
  it("names only metrics the service exports, and every one of them", () => {
    const named = new Set(
      [...runbook.matchAll(/\b(otp_[a-z_]+?)(?:_bucket|_count|_sum)?\b/g)].map((match) => match[1] ?? ""),
    );
    for (const name of named) expect(metricNames, `${name} in the runbook`).toContain(name);
    for (const name of metricNames) expect(named, `${name} missing from the runbook`).toContain(name);
  });

  it("uses only labels those metrics have", () => {
    const selectors = [...runbook.matchAll(/\b(otp_[a-z_]+)\{([^}]*)\}/g)];
    expect(selectors.length).toBeGreaterThan(0);
    for (const [, name = "", labels = ""] of selectors) {
      const metric = registry.getSingleMetric(name.replace(/_(bucket|count|sum)$/, "")) as
        (Metric & { labelNames: string[] }) | undefined;
      for (const [, label = ""] of labels.matchAll(/(\w+)="[^"]*"/g)) {
        expect(metric?.labelNames, `${name}{${label}}`).toContain(label);
      }
    }
    const labelsBy = [...runbook.matchAll(/by \(([\w, ]+)\)/g)].flatMap((match) =>
      (match[1] ?? "").split(",").map((label) => label.trim()),
    );
    const known = new Set(["instance", "le", "provider", "result", "outcome", "reason", "field"]);
    for (const label of labelsBy) expect(known, label).toContain(label);
  });

  it("names only settings the configuration reads (or the OpenTelemetry exporter does)", () => {
    const named = variablesIn(runbook);
    expect(named.length).toBeGreaterThan(20);
    for (const name of named) expect([...SETTING_NAMES, ...READ_BY_EXPORTER], name).toContain(name);
  });

  it("is right that the production profile's required settings are refused when missing", () => {
    const live = { NODE_ENV: "production", PHONE_BASE_URL: "https://otp.example.com" };
    expect(() => loadConfig(live)).toThrow("ROUTER_SECRET");
    const profile = { ...live, ROUTER_SECRET: "r".repeat(32) };
    expect(() => loadConfig({ ...profile, OTP_STORE: "redis", REDIS_URL: "rediss://r:6380" })).toThrow(
      "OTP_STATE_SECRET",
    );
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(ConfigError);
    expect(loadConfig(profile)).toMatchObject({ introspection: false, tracing: null });
  });
});

describe("docs/settings.md", () => {
  it("documents every variable the configuration reads, and no other", () => {
    const documented = tableVariables(settingsPage);
    for (const name of SETTING_NAMES) expect(documented, `${name} missing`).toContain(name);
    for (const name of documented) expect([...SETTING_NAMES, ...READ_BY_EXPORTER], name).toContain(name);
  });
});
