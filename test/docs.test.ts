import { existsSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  BLOCKS,
  blockOf,
  mappingTable,
  pagePath,
  regenerated,
  sandboxRows,
  withBlock,
} from "../scripts/docs.js";
import { SETTING_NAMES } from "../src/config.js";
import type { ProviderDescriptor } from "../src/providers/descriptor.js";
import { MAPPING_TABLES } from "../src/providers/mapping-tables.js";
import { PROVIDERS } from "../src/providers/registry.js";
import { SERVICE_SETTINGS } from "../src/settings.js";

const page = (path: string) => readFile(pagePath(path), "utf8");

/** The rows of a block's table, each as its trimmed cells. */
function tableRows(block: string | undefined): string[][] {
  return (block ?? "")
    .split("\n")
    .filter((line) => line.startsWith("|"))
    .slice(2)
    .map((line) =>
      line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
}

describe("the generated tables", () => {
  it.each(BLOCKS.map((block) => [block.page, block.name] as const))(
    "%s's %s block is the table generated from the code (`npm run docs:write`)",
    async (path, name) => {
      const text = await page(path);
      expect(blockOf(text, name), `${path} has no ${name} block`).toBeDefined();
      expect(blockOf(text, name), "run `npm run docs:write`").toBe(
        blockOf(await regenerated(path, text), name),
      );
    },
  );

  it("refuses a page without the markers, and escapes pipes in cells", async () => {
    await expect(withBlock("# no block\n", "mapping", "", "docs/providers.md")).rejects.toThrow(
      /mapping:start/,
    );
    const table = mappingTable([
      { provider: "any", rows: [{ code: "x", documented: "a | b", outcome: "AccountBlocked" }] },
    ]);
    expect(table.split("\n")[2]).toBe('| any | a \\| b | AccountBlocked | "x" | no |  |');
  });
});

describe("the mapping table of docs/providers.md", () => {
  it("has one row for every documented response of every provider, and the generic rows", async () => {
    const rows = tableRows(blockOf(await page("docs/providers.md"), "mapping"));
    const documented = MAPPING_TABLES.flatMap((table) =>
      table.rows.map((row) => [table.provider, row] as const),
    );
    expect(rows).toHaveLength(documented.length);
    expect(new Set(MAPPING_TABLES.map((table) => table.provider))).toEqual(
      new Set([...PROVIDERS.map(({ id }) => id), "any"]),
    );
    documented.forEach(([provider, row], index) => {
      expect(rows[index]?.slice(0, 3)).toEqual([
        provider,
        row.documented,
        row.outcome === "RateLimited" ? `RateLimited (${row.limitedBy ?? "PROVIDER"})` : row.outcome,
      ]);
    });
  });

  it("writes the contract's columns, quoting codes and leaving them blank for OtpSent", () => {
    const lines = mappingTable().split("\n");
    expect(lines[0]).toBe("| provider | documented response | variant | providerCode | retryable | notes |");
    expect(lines).toContain(
      "| GST | HTTP 200 with `result.appKey` | OtpSent |  |  | providerReference = appKey, providerMessage = result.message |",
    );
    expect(lines).toContain(
      '| GST | HTTP 404 with a JSON error (`{error: {…}}`, `{error: "…"}` or `{message}`) | AccountNotFound | "404" | no | does not count toward the circuit breaker (unknown GSTINs cannot open it for everyone) |',
    );
    expect(lines).toContain('| ITR | HTTP 500 `{error}` | ProviderUnavailable | "500" | yes |  |');
    expect(lines).toContain(
      "| any | timeout, refused, reset, undocumented 5xx, open circuit | ProviderUnavailable | HTTP status or null | yes |  |",
    );
  });
});

describe("the README's sandbox table", () => {
  it("has, for every provider, a row for each magic input, each unreachable response and each note", async () => {
    const rows = tableRows(blockOf(await page("README.md"), "sandbox"));
    const expected = PROVIDERS.flatMap(({ id, responses, sandbox }) => [
      ...responses.map((row) => {
        const magic = sandbox.magic[row.code];
        return [id, magic?.description ?? `none: ${sandbox.unreachable?.[row.code]}`, row.documented];
      }),
      ...(sandbox.notes ?? []).map((note) => [id, note.input, note.answer]),
    ]);
    expect(rows).toHaveLength(expected.length);
    expected.forEach(([id, input, answer], index) => {
      expect(rows[index]?.slice(0, 2)).toEqual([id, input]);
      expect(rows[index]?.[2]).toContain(answer);
    });
  });

  it("says the answer, the field it blames and how long to wait", () => {
    const rows = sandboxRows();
    expect(rows).toContainEqual([
      "ITR",
      "a PAN with the digits `0400`, e.g. `ABCPE0400F`",
      "HTTP 400 `{detail, message}` → `InvalidInput` on `itr.pan`",
    ]);
    expect(rows).toContainEqual([
      "PAYTM",
      "a number ending in `25004`, e.g. `9876525004`",
      '`BE1425004` (FAILURE, "Mobile number is already pending for verification…") → `RateLimited`, retry after 48 h',
    ]);
    expect(rows).toContainEqual([
      "DMT",
      "a TRANSACTION's `externalRefNumber` again, same mobile, within 10 min",
      "refused locally: `InvalidInput` on `dmt.externalRefNumber`, nothing sent",
    ]);
  });

  it("refuses a documented response with neither a magic input nor a reason it has none", () => {
    const [gst] = PROVIDERS;
    const forgetful = { ...gst, sandbox: { ...gst.sandbox, unreachable: {} } } as ProviderDescriptor;
    expect(() => sandboxRows([forgetful])).toThrow(/"login 401" has no magic input/);
  });
});

describe("the settings tables", () => {
  it("docs/settings.md has a row for every variable the configuration reads, and no other", async () => {
    const text = await page("docs/settings.md");
    const names = [
      ...tableRows(blockOf(text, "settings")),
      ...tableRows(blockOf(text, "provider-settings")),
    ].map(([name]) => name);
    expect(names.sort()).toEqual(SETTING_NAMES.map((name) => `\`${name}\``).sort());
  });

  it("marks each provider's secrets and required variables", async () => {
    const rows = tableRows(blockOf(await page("docs/settings.md"), "provider-settings"));
    for (const { id, settings } of PROVIDERS) {
      for (const [name, variable] of Object.entries(settings)) {
        const row = rows.find(([cell]) => cell === `\`${name}\``);
        expect(row?.[1], name).toBe(id);
        if (!variable.optional) expect(row?.[2], name).toBe("required");
        expect(row?.[3]?.includes("a secret"), name).toBe(variable.secret === true);
      }
    }
  });

  it("the README's essentials name the essential settings, and every provider variable with no default", async () => {
    const rows = tableRows(blockOf(await page("README.md"), "essential-settings"));
    const essential = Object.entries(SERVICE_SETTINGS).filter(([, setting]) => "essential" in setting);
    expect(rows.slice(0, essential.length).map(([name]) => name)).toEqual(
      essential.map(([name]) => `\`${name}\``),
    );
    const providerRows = rows.slice(essential.length);
    expect(providerRows).toHaveLength(PROVIDERS.length);
    PROVIDERS.forEach(({ settings }, index) => {
      const needed = Object.entries(settings).filter(
        ([, variable]) => variable.schema.safeParse(undefined).data === undefined,
      );
      expect(providerRows[index]?.[0]).toBe(needed.map(([name]) => `\`${name}\``).join(", "));
    });
  });
});

describe("the README and docs/", () => {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const pages = [
    "README.md",
    "examples/README.md",
    ...readdirSync(join(root, "docs")).map((name) => `docs/${name}`),
  ];

  it.each(pages)("%s links only to files that exist", async (page) => {
    const text = await readFile(join(root, page), "utf8");
    const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((match) => match[1] ?? "")
      .filter((target) => !/^(https?:|#)/.test(target))
      .map((target) => target.replace(/#.*$/, ""));
    const missing = targets.filter((target) => !existsSync(join(root, dirname(page), target)));
    expect(missing).toEqual([]);
  });

  it("keeps the README short: the reference lives in docs/", async () => {
    const readme = await readFile(join(root, "README.md"), "utf8");
    expect(readme).not.toContain("<!-- mapping:start");
    // Its own words; the generated blocks (start-up lines, a valid input, the sandbox rows and the essential
    // settings of each provider) grow with the registry, each provider's by its documented responses.
    const words = readme.replace(/<!-- ([a-z-]+):start[\s\S]*?<!-- \1:end -->/g, "");
    expect(Buffer.byteLength(words)).toBeLessThan(8 * 1024);
    expect(Buffer.byteLength(readme)).toBeLessThan(8 * 1024 + PROVIDERS.length * 2 * 1024);
  });
});
