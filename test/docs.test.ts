import { existsSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { mappingBlock, mappingTable, MAPPING_DOC_PATH, withMappingTable } from "../scripts/docs.js";
import { MAPPING_TABLES } from "../src/providers/mapping-tables.js";

describe("the mapping table of docs/providers.md", () => {
  it("is the table generated from the providers' tables (`npm run docs:write`)", async () => {
    const readme = await readFile(MAPPING_DOC_PATH, "utf8");
    const block = mappingBlock(readme);
    expect(block, "docs/providers.md has no mapping block").toBeDefined();
    expect(block, "run `npm run docs:write`").toBe(mappingBlock(await withMappingTable(readme)));
  });

  it("has one row for every documented response of every provider, and the generic rows", async () => {
    const block = mappingBlock(await readFile(MAPPING_DOC_PATH, "utf8")) ?? "";
    const rows = block.split("\n").filter((line) => line.startsWith("|"));
    const documented = MAPPING_TABLES.flatMap((table) =>
      table.rows.map((row) => [table.provider, row] as const),
    );
    expect(rows).toHaveLength(2 + documented.length);
    expect(new Set(MAPPING_TABLES.map((table) => table.provider))).toEqual(
      new Set(["GST", "ITR", "DMT", "PAYTM", "PHONE", "any"]),
    );
    documented.forEach(([provider, row], index) => {
      const cells = rows[index + 2]?.split(/(?<!\\)\|/).map((cell) => cell.trim());
      expect(cells?.slice(1, 4)).toEqual([
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
      '| GST | HTTP 404 with the aggregator\'s JSON error (`{error: {…}}` or `{message}`) | AccountNotFound | "404" | no |  |',
    );
    expect(lines).toContain('| ITR | HTTP 500 `{error}` | ProviderUnavailable | "500" | yes |  |');
    expect(lines).toContain(
      "| any | timeout, refused, reset, undocumented 5xx, open circuit | ProviderUnavailable | HTTP status or null | yes |  |",
    );
  });

  it("refuses a page without the markers, and escapes pipes in cells", async () => {
    await expect(withMappingTable("# no block\n")).rejects.toThrow(/mapping:start/);
    const table = mappingTable([
      { provider: "any", rows: [{ code: "x", documented: "a | b", outcome: "AccountBlocked" }] },
    ]);
    expect(table.split("\n")[2]).toBe('| any | a \\| b | AccountBlocked | "x" | no |  |');
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
    expect(Buffer.byteLength(readme)).toBeLessThan(16 * 1024);
  });
});
