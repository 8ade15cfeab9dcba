/** docs/deploy.md against the code: its variables, probe paths, port, grace period and alert rules. */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, SETTING_NAMES } from "../src/config.js";
import { startTestApp, type TestApp } from "./helpers/app.js";

const page = await readFile(new URL("../docs/deploy.md", import.meta.url), "utf8");
const runbook = await readFile(new URL("../docs/operations.md", import.meta.url), "utf8");
const manifests = [...page.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
const deployment = manifests.find((text) => text.includes("kind: Deployment")) ?? "";

/** The variables the Deployment sets: `- { name: X, value: ... }` and `- name: X`. */
const envNames = [...deployment.matchAll(/- (?:\{ )?name: ([A-Z][A-Z0-9_]*)\b/g)].map(
  (match) => match[1] ?? "",
);
/** The value the Deployment gives `name`. */
function envValue(name: string): string | undefined {
  const match = new RegExp(`name: ${name},?\\s+value: (?:"([^"]*)"|([^\\s}]+))`).exec(deployment);
  return match?.[1] ?? match?.[2];
}

describe("docs/deploy.md against the code", () => {
  let subgraph: TestApp;
  beforeAll(async () => {
    subgraph = await startTestApp();
  });
  afterAll(() => subgraph.close());

  it("sets and names only variables the configuration reads", () => {
    expect(envNames.length).toBeGreaterThan(10);
    const quoted = [...page.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/g)].map((match) => match[1] ?? "");
    for (const name of [...envNames, ...quoted]) expect(SETTING_NAMES, name).toContain(name);
  });

  it("is a configuration the service accepts in production", () => {
    const environment: Record<string, string> = { NODE_ENV: "production" };
    for (const name of envNames) environment[name] = envValue(name) ?? "s".repeat(40);
    const config = loadConfig(environment);
    expect(config).toMatchObject({ production: true, mode: "live", port: 4001, host: "0.0.0.0" });
    // The grace period is above the drain deadline.
    const grace = Number(/terminationGracePeriodSeconds: (\d+)/.exec(deployment)?.[1]);
    expect(grace * 1000).toBeGreaterThan(config.shutdownDeadlineMs);
    expect(deployment).toContain(`containerPort: ${String(config.port)}`);
  });

  it("probes paths the server answers: /healthz for liveness, /readyz for readiness", async () => {
    const liveness = /livenessProbe:\s+httpGet: \{ path: (\S+),/.exec(deployment)?.[1];
    const readiness = /readinessProbe:\s+httpGet: \{ path: (\S+),/.exec(deployment)?.[1];
    expect([liveness, readiness]).toEqual(["/healthz", "/readyz"]);
    for (const path of [liveness, readiness]) {
      expect((await fetch(`${subgraph.origin}${String(path)}`)).status, path).toBe(200);
    }
  });

  it("alerts with the runbook's rules, unchanged", () => {
    const rules = /```yaml\ngroups:\n([\s\S]*?)```/.exec(runbook)?.[1] ?? "";
    const rule = manifests.find((text) => text.includes("kind: PrometheusRule")) ?? "";
    const indented = rules
      .split("\n")
      .map((line) => (line === "" ? line : `  ${line}`))
      .join("\n");
    expect(rules.length).toBeGreaterThan(500);
    expect(rule).toContain(`  groups:\n${indented}`);
  });
});
