/**
 * The "Adding a provider" claim (README, docs/adding-a-provider.md), checked for every provider of the registry: a
 * provider is the files the page lists (at most six, as many as the README says), nothing else in `src/` names it,
 * and what is derived from its descriptor is there: its `OtpProvider` value and `RequestOtpInput` member in the
 * schema, its documented responses with a magic input or a reason for each, its settings, its redacted fields.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PROVIDERS } from "../../src/providers/registry.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PAGE = readFileSync(join(ROOT, "docs/adding-a-provider.md"), "utf8");
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const SCHEMA = readFileSync(join(ROOT, "schema/subgraph.graphql"), "utf8");

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

  it("takes as many files as the README and the page say", () => {
    const words = ["One", "Two", "Three", "Four", "Five", "Six"];
    const said = words[STEPS.length - 1];
    expect(/## Adding a provider\s+(\w+) files:/.exec(README)?.[1]).toBe(said);
    expect(PAGE).toContain(`${said ?? "?"} files,`);
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

      it("is in the schema: an OtpProvider value, and a RequestOtpInput member of its input type", () => {
        const block = (start: string) =>
          SCHEMA.slice(SCHEMA.indexOf(start), SCHEMA.indexOf("}", SCHEMA.indexOf(start)));
        expect(block("enum OtpProvider {")).toMatch(new RegExp(`^\\s*${id}$`, "m"));
        const type = PROVIDERS.find((provider) => provider.id === id)?.input.type.name;
        expect(block("input RequestOtpInput")).toMatch(new RegExp(`^\\s*${folder}: ${type}$`, "m"));
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

describe.each(PROVIDERS.map((provider) => [provider.id, provider] as const))(
  "%s's descriptor",
  (_id, provider) => {
    it("has its documented responses, each reached by a magic input (in words too) or said unreachable", () => {
      expect(provider.responses.length).toBeGreaterThan(0);
      const { magic, unreachable = {} } = provider.sandbox;
      for (const { code } of provider.responses) {
        expect(magic[code]?.description ?? unreachable[code], code).toMatch(/\S/);
      }
      expect(Object.keys(magic).every((code) => provider.responses.some((row) => row.code === code))).toBe(
        true,
      );
    });

    it("has its settings, each with a meaning, a base URL among them, and the fields its secrets fill", () => {
      const variables = Object.entries(provider.settings);
      expect(variables.map(([, variable]) => variable.field)).toContain("baseUrl");
      for (const [name, variable] of variables) {
        expect(name.startsWith(`${provider.id}_`), name).toBe(true);
        expect(variable.description, name).toMatch(/\S/);
      }
    });

    it("names the fields the logs redact", () => {
      expect(provider.sensitiveFields.length).toBeGreaterThan(0);
    });
  },
);

/** A source file without its comments (prose there may name a provider; code may not). */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");

/** The fields of a GraphQL input type, from the checked-in SDL. */
function inputFields(type: string): string[] {
  const start = SCHEMA.indexOf(`input ${type} {`);
  const block = SCHEMA.slice(start, SCHEMA.indexOf("}", start));
  return [...block.matchAll(/^\s+(\w+):/gm)].map((match) => match[1] ?? "");
}

describe.each(PROVIDERS.map((provider) => [provider.id, provider] as const))(
  "%s's folder",
  (id, provider) => {
    const { member } = provider.input;
    const folder = `src/providers/${member}`;
    const own = SOURCES.filter(([file]) => file.startsWith(`${folder}/`));
    const outsideDescriptor = own.filter(([file]) => file !== `${folder}/index.ts`);

    it("writes its id and its member in its descriptor only (the rest is given its binding)", () => {
      expect(outsideDescriptor.length).toBeGreaterThan(0);
      const quotedId = new RegExp(`(["'\`])${id}\\1`);
      const fields = inputFields(provider.input.type.name);
      expect(fields.length).toBeGreaterThan(0);
      // The member also names fields and wire values (PHONE's `phone` field, Paytm's `paytm` scope): it is looked for
      // where it names the member, as the head of a field path and as the prefix of a field-error collector.
      const path = new RegExp(`\\b${member}\\.(${fields.join("|")})\\b`);
      for (const [file, text] of outsideDescriptor) {
        const source = code(text);
        expect(quotedId.exec(source)?.[0], `${file} quotes the id`).toBeUndefined();
        expect(path.exec(source)?.[0], `${file} writes a field path`).toBeUndefined();
        expect(source, `${file} makes its own field-error collector`).not.toMatch(/new FieldErrors\(/);
      }
      const descriptor = own.find(([file]) => file === `${folder}/index.ts`)?.[1] ?? "";
      expect(descriptor).toMatch(quotedId);
      expect(descriptor).toContain(`member: "${member}"`);
    });
  },
);

it("no documented response is found by its position in its table, only by its code", () => {
  const providers = SOURCES.filter(([file]) => file.startsWith("src/providers/"));
  expect(providers.length).toBeGreaterThan(0);
  for (const [file, text] of providers) {
    const source = code(text);
    expect(source, `${file} indexes a response table`).not.toMatch(/_RESPONSES\s*\[/);
    expect(source, `${file} destructures a response table`).not.toMatch(/\]\s*=\s*\w*_RESPONSES\b/);
  }
});
