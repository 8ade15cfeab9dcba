/**
 * The "Every documented response, mapped" table of `docs/providers.md`, generated from the registry of providers (`src/providers/mapping-tables.ts`).
 *   tsx scripts/docs.ts          print the table on stdout
 *   tsx scripts/docs.ts --write  rewrite the block between the mapping markers in docs/providers.md
 *   tsx scripts/docs.ts --check  fail when that block is stale
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";
import { MAPPING_TABLES, type MappingRow, type MappingTable } from "../src/providers/mapping-tables.js";

export const MAPPING_DOC_PATH = fileURLToPath(new URL("../docs/providers.md", import.meta.url));

const START = /<!-- mapping:start[^\n]*?-->/;
const END = "<!-- mapping:end -->";
const HEADER = ["provider", "documented response", "variant", "providerCode", "retryable", "notes"];

/** One table row's cells, as the contract writes them. */
export function mappingCells(table: MappingTable, row: MappingRow): string[] {
  const sent = row.outcome === "OtpSent";
  const variant =
    row.outcome === "RateLimited" ? `RateLimited (${row.limitedBy ?? "PROVIDER"})` : row.outcome;
  const providerCode = sent
    ? ""
    : (row.providerCodeFrom ?? table.providerCodeFrom ?? `"${row.providerCode ?? row.code}"`);
  const retryable = sent ? "" : row.retryable ? "yes" : "no";
  const notes = [
    row.field && !row.notes?.includes(row.field) ? `fieldErrors: ${row.field}` : undefined,
    row.notes,
  ];
  return [table.provider, row.documented, variant, providerCode, retryable, notes.filter(Boolean).join("; ")];
}

/** The markdown table (not yet formatted) of every row of every table. */
export function mappingTable(tables: readonly MappingTable[] = MAPPING_TABLES): string {
  const line = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(" | ")} |`;
  return [
    line(HEADER),
    line(HEADER.map(() => "---")),
    ...tables.flatMap((table) => table.rows.map((row) => line(mappingCells(table, row)))),
  ].join("\n");
}

/** The mapping block of a page (between its markers, markers excluded), or `undefined` if it has none. */
export function mappingBlock(readme: string): string | undefined {
  const start = START.exec(readme);
  const end = readme.indexOf(END);
  if (!start || end < start.index) return undefined;
  return readme.slice(start.index + start[0].length, end);
}

/**
 * The page with its mapping block holding the generated table, as prettier formats it in place (so that
 * `prettier --check` and `--check` here agree). Only the block changes.
 */
export async function withMappingTable(readme: string, table = mappingTable()): Promise<string> {
  const start = START.exec(readme);
  if (!start || mappingBlock(readme) === undefined) {
    throw new Error(`docs/providers.md has no "<!-- mapping:start … -->" … "${END}" block`);
  }
  const options = (await resolveConfig(MAPPING_DOC_PATH)) ?? {};
  const splice = (text: string, block: string) => {
    const at = (START.exec(text)?.index ?? 0) + start[0].length;
    return text.slice(0, at) + block + text.slice(text.indexOf(END));
  };
  const formatted = await format(splice(readme, `\n\n${table}\n\n`), { ...options, parser: "markdown" });
  return splice(readme, mappingBlock(formatted) ?? "");
}

function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

async function main(mode: string | undefined): Promise<void> {
  if (mode === "--write" || mode === "--check") {
    const readme = await readFile(MAPPING_DOC_PATH, "utf8");
    const updated = await withMappingTable(readme);
    if (mode === "--write") {
      if (updated !== readme) await writeFile(MAPPING_DOC_PATH, updated);
    } else if (updated !== readme) {
      process.stderr.write(
        "docs/providers.md's mapping table is stale: run `npm run docs:write` and commit it.\n",
      );
      process.exitCode = 1;
    }
  } else {
    process.stdout.write(`${mappingTable()}\n`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main(process.argv[2]);
