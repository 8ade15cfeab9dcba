/**
 * The "Adding a provider" claim (README, docs/adding-a-provider.md), checked for every provider of the registry: a provider is the files the
 * README lists (at most six), and nothing else in `src/` names it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PROVIDERS } from "../../src/providers/registry.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PAGE = readFileSync(join(ROOT, "docs/adding-a-provider.md"), "utf8");

/** The files the steps of docs/adding-a-provider.md name, with `<id>` for the provider's folder. */
const STEPS = [...PAGE.matchAll(/^\d+\. `([^`]+)`/gm)].map((match) => match[1] ?? "");

function filesBelow(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesBelow(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}
const SOURCES = filesBelow("src").map((file) => [file, readFileSync(join(ROOT, file), "utf8")] as const);

describe("adding a provider, as docs/adding-a-provider.md says", () => {
  it("takes at most six files", () => {
    expect(STEPS.length).toBeGreaterThan(0);
    expect(STEPS.length).toBeLessThanOrEqual(6);
    expect(STEPS).toContain("src/providers/registry.ts");
  });

  describe.each(PROVIDERS.map((provider) => [provider.id, provider.input.member] as const))(
    "%s",
    (id, folder) => {
      const files = STEPS.map((step) => step.replace("<id>", folder));
      const own = files.filter((file) => file.startsWith(`src/providers/${folder}/`));

      it("is the listed files: its folder holds them (and its own helpers), and its contract cases exist", () => {
        expect(filesBelow(`src/providers/${folder}`)).toEqual(expect.arrayContaining(own));
        for (const file of files) expect(existsSync(join(ROOT, file)), file).toBe(true);
      });

      it("is named nowhere else in src/ but in the registry: no import of its folder, no quoted id", () => {
        const outside = SOURCES.filter(([file]) => !file.startsWith(`src/providers/${folder}/`));
        const importing = outside.filter(([, text]) => text.includes(`/${folder}/`));
        expect(importing.map(([file]) => file)).toEqual(["src/providers/registry.ts"]);
        const quoting = outside.filter(([, text]) => new RegExp(`["']${id}["']`).test(text));
        expect(quoting.map(([file]) => file)).toEqual([]);
      });
    },
  );
});
