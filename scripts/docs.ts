/**
 * The generated tables of the README and docs/, each between its markers (`<!-- NAME:start … -->` …
 * `<!-- NAME:end -->`), from the registry of providers and the service's settings (`src/settings.ts`):
 * `docs/providers.md`'s mapping, the README's valid inputs, sandbox and essential settings, `docs/settings.md`'s
 * settings.
 *   tsx scripts/docs.ts          print every table on stdout
 *   tsx scripts/docs.ts --write  rewrite the blocks
 *   tsx scripts/docs.ts --check  fail when a block is stale
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";
import type { MagicInput, ProviderDescriptor, SettingVariable } from "../src/providers/descriptor.js";
import { MAPPING_TABLES, type MappingRow, type MappingTable } from "../src/providers/mapping-tables.js";
import { PROVIDERS } from "../src/providers/registry.js";
import { FILE_SUFFIX } from "../src/secret-files.js";
import { SERVICE_SETTINGS, type ServiceSetting } from "../src/settings.js";
import { loadConfig } from "../src/config.js";
import { memoryCapacityLine } from "../src/otp/memory-capacity.js";
import { startupMessage } from "../src/startup-message.js";

const ROOT = new URL("..", import.meta.url);

/** A generated table: the page that holds it, its marker name, and its markdown (not yet formatted). */
interface GeneratedBlock {
  page: string;
  name: string;
  render(): string | Promise<string>;
  /** Left unaligned (prettier pads tables' columns): the README stays under 16 KB. */
  compact?: true;
}

/** The page's absolute path. */
export const pagePath = (page: string) => fileURLToPath(new URL(page, ROOT));

/** A markdown table (not yet formatted), pipes in cells escaped. */
function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

// The mapping of docs/providers.md.

/** One mapping row's cells, as the contract writes them. */
export function mappingCells(table: MappingTable, row: MappingRow): string[] {
  const sent = row.outcome === "OtpSent";
  const providerCode = sent
    ? ""
    : (row.providerCodeFrom ?? table.providerCodeFrom ?? `"${row.providerCode ?? row.code}"`);
  const retryable = sent ? "" : row.retryable ? "yes" : "no";
  const notes = [
    row.field && !row.notes?.includes(row.field) ? `fieldErrors: ${row.field}` : undefined,
    row.notes,
  ];
  return [
    table.provider,
    row.documented,
    variant(row),
    providerCode,
    retryable,
    notes.filter(Boolean).join("; "),
  ];
}

const variant = (row: MappingRow) =>
  row.outcome === "RateLimited" ? `RateLimited (${row.limitedBy ?? "PROVIDER"})` : row.outcome;

/** Every row of every provider's table, then the generic rows. */
export function mappingTable(tables: readonly MappingTable[] = MAPPING_TABLES): string {
  return markdownTable(
    ["provider", "documented response", "variant", "providerCode", "retryable", "notes"],
    tables.flatMap((table) => table.rows.map((row) => mappingCells(table, row))),
  );
}

// The README's sandbox table.

const duration = (seconds: number) => (seconds % 3600 === 0 ? `${seconds / 3600} h` : `${seconds} s`);

/** A documented response as the sandbox answers it, e.g. "HTTP 400 → `InvalidInput` on `itr.pan`". */
function sandboxAnswer(
  provider: ProviderDescriptor,
  row: MappingRow,
  magic: MagicInput<unknown> | undefined,
): string {
  const blamed = row.field ? provider.binding.field(row.field) : magic?.field;
  const field = blamed ? ` on \`${blamed}\`` : "";
  const limited =
    row.outcome !== "RateLimited"
      ? ""
      : row.retryAfterSeconds
        ? `, retry after ${duration(row.retryAfterSeconds)}`
        : row.retryable
          ? ""
          : ", not retryable";
  const note = magic?.note ? ` (${magic.note})` : "";
  return `${row.documented} → \`${row.outcome}\`${field}${limited}${note}`;
}

/**
 * For every provider, a row for each documented response: its magic input, or why none reaches it; then the
 * provider's own notes (local refusals, variants).
 */
export function sandboxRows(providers: readonly ProviderDescriptor[] = PROVIDERS): string[][] {
  return providers.flatMap((provider) => {
    const { id, responses, sandbox } = provider;
    return [
      ...responses.map((row) => {
        const magic = sandbox.magic[row.code];
        const unreachable = sandbox.unreachable?.[row.code];
        if (!magic && unreachable === undefined) {
          throw new Error(
            `${id}'s documented response "${row.code}" has no magic input, nor a reason it has none`,
          );
        }
        return [id, magic?.description ?? `none: ${unreachable}`, sandboxAnswer(provider, row, magic)];
      }),
      ...(sandbox.notes ?? []).map((note) => [id, note.input, note.answer]),
    ];
  });
}

const sandboxTable = (providers?: readonly ProviderDescriptor[]) =>
  markdownTable(["provider", "input", "documented response"], sandboxRows(providers));

// The README's valid inputs: each provider's input that its sandbox answers with OtpSent, as GraphQL variables.

/** For every provider, the variables of a `requestOtp` its sandbox answers `OtpSent`, as one line of JSON. */
export function validInputRows(providers: readonly ProviderDescriptor[] = PROVIDERS): string[][] {
  return providers.map(({ id, input, responses, sandbox }) => {
    const sent = responses.find((row) => row.outcome === "OtpSent" && sandbox.magic[row.code]);
    if (!sent) throw new Error(`${id}'s sandbox has no input it answers OtpSent`);
    const variables = { input: { [input.member]: sandbox.magic[sent.code]?.input } };
    return [id, `\`${JSON.stringify(variables)}\``];
  });
}

const validInputsTable = () => markdownTable(["provider", "variables"], validInputRows());

// The README's start-up output: what `npm start` prints with nothing set (run.ts prints the same functions).

/** fastify's own line before ours (its time is an example). */
const FASTIFY_LISTENING =
  '{"level":30,"time":"2026-12-06T20:09:48.144Z","msg":"Server listening at http://127.0.0.1:4001"}';

export async function startupBlock(): Promise<string> {
  const config = loadConfig({});
  if (config.store.kind !== "memory") throw new Error("with nothing set, the store is the memory store");
  const printed =
    startupMessage(config, `http://${config.host}:${String(config.port)}`) +
    (await memoryCapacityLine(config.store.maxMb, config.limits));
  return `\`\`\`text\n${FASTIFY_LISTENING}\n${printed}\`\`\``;
}

// The settings: docs/settings.md and the README's essentials.

/**
 * A default as a cell, from where the code reads it: the schema's own (what it reads an unset variable as), or
 * each mode's (`live (sandbox: …)`), or the words given for a rule.
 */
function defaultCell(setting: {
  schema: SettingVariable["schema"];
  default?: string;
  modes?: ServiceSetting["modes"];
}): string {
  if (setting.default !== undefined) return setting.default;
  if (setting.modes !== undefined) {
    const { live, sandbox } = setting.modes;
    if (live === undefined) return sandbox === undefined ? "" : `sandbox: ${valueCell(sandbox)}`;
    return sandbox === undefined ? valueCell(live) : `${valueCell(live)} (sandbox: ${valueCell(sandbox)})`;
  }
  const parsed = setting.schema.safeParse(undefined);
  const value: unknown = parsed.success ? parsed.data : undefined;
  return value === undefined ? "" : valueCell(value);
}

const valueCell = (value: unknown) =>
  code(Array.isArray(value) ? value.join(",") : JSON.stringify(value).replace(/^"|"$/g, ""));

const code = (name: string) => `\`${name}\``;

type ServiceSettings = Readonly<Record<string, ServiceSetting>>;

/** A row (variable, default, meaning) for each of the service's settings that `only` keeps. */
const serviceRows = (settings: ServiceSettings, only: (setting: ServiceSetting) => boolean = () => true) =>
  Object.entries(settings)
    .filter(([, setting]) => only(setting))
    .map(([name, setting]) => [code(name), defaultCell(setting), setting.meaning]);

/** The row of a secret's `<NAME>_FILE` variant, after the secret's own row (`columns` cells before the meaning). */
const fileRow = (name: string, columns: readonly string[]) => [
  code(`${name}${FILE_SUFFIX}`),
  ...columns,
  `instead of ${code(name)}: the path of a file that holds it (a Docker or Kubernetes secret); one trailing newline is dropped, both set is refused`,
];

/** Every service setting, each secret followed by its `_FILE` variant. */
const serviceSettingsTable = (settings: ServiceSettings = SERVICE_SETTINGS) =>
  markdownTable(
    ["variable", "default", "meaning"],
    Object.entries(settings).flatMap(([name, setting]) => {
      const row = [code(name), defaultCell(setting), setting.meaning];
      return setting.secret ? [row, fileRow(name, [""])] : [row];
    }),
  );

/** Every provider's variables: required ones (the provider counts as configured with all of them), secrets. */
function providerSettingsTable(providers: readonly ProviderDescriptor[] = PROVIDERS): string {
  const rows = providers.flatMap(({ id, settings }) =>
    Object.entries(settings).flatMap(([name, variable]) => {
      const row = [
        code(name),
        id,
        variable.optional ? defaultCell(variable) : "required",
        variable.secret ? `${variable.description} (a secret: never logged)` : variable.description,
      ];
      return variable.secret ? [row, fileRow(name, [id, ""])] : [row];
    }),
  );
  return markdownTable(["variable", "provider", "default", "meaning"], rows);
}

/** The README's essentials: the service's essential settings, then a row per provider (its variables with no default). */
function essentialSettingsTable(
  settings: ServiceSettings = SERVICE_SETTINGS,
  providers: readonly ProviderDescriptor[] = PROVIDERS,
): string {
  const service = serviceRows(settings, (setting) => setting.essential === true);
  const perProvider = providers.map(({ description, settings: variables }) => [
    Object.entries(variables)
      .filter(([, variable]) => defaultCell(variable) === "")
      .map(([name]) => code(name))
      .join(", "),
    "",
    `${description.replace(/\.$/, "")} ([its settings](docs/settings.md#providers))`,
  ]);
  return markdownTable(["variable", "default", "meaning"], [...service, ...perProvider]);
}

/** Every generated block, by page. */
export const BLOCKS: readonly GeneratedBlock[] = [
  { page: "docs/providers.md", name: "mapping", render: () => mappingTable() },
  { page: "README.md", name: "start-up", render: () => startupBlock() },
  { page: "README.md", name: "valid-inputs", render: () => validInputsTable(), compact: true },
  { page: "README.md", name: "sandbox", render: () => sandboxTable(), compact: true },
  { page: "README.md", name: "essential-settings", render: () => essentialSettingsTable(), compact: true },
  { page: "docs/settings.md", name: "settings", render: () => serviceSettingsTable() },
  { page: "docs/settings.md", name: "provider-settings", render: () => providerSettingsTable() },
];

// Blocks in pages.

const startMarker = (name: string) => new RegExp(`<!-- ${name}:start[^\\n]*?-->`);
const endMarker = (name: string) => `<!-- ${name}:end -->`;

/** A page's block `name` (between its markers, markers excluded), or `undefined` if it has none. */
export function blockOf(text: string, name: string): string | undefined {
  const start = startMarker(name).exec(text);
  const end = text.indexOf(endMarker(name));
  if (!start || end < start.index) return undefined;
  return text.slice(start.index + start[0].length, end);
}

/**
 * The page with its block `name` holding `markdown`, as prettier formats it in place (so that `prettier --check`
 * and `--check` here agree). Only the block changes.
 */
export async function withBlock(text: string, name: string, markdown: string, page: string): Promise<string> {
  if (blockOf(text, name) === undefined) {
    throw new Error(`${page} has no "<!-- ${name}:start … -->" … "${endMarker(name)}" block`);
  }
  const splice = (into: string, block: string) => {
    const start = startMarker(name).exec(into);
    const at = (start?.index ?? 0) + (start?.[0].length ?? 0);
    return into.slice(0, at) + block + into.slice(into.indexOf(endMarker(name)));
  };
  const options = (await resolveConfig(pagePath(page))) ?? {};
  const formatted = await format(splice(text, `\n\n${markdown}\n\n`), { ...options, parser: "markdown" });
  return splice(text, blockOf(formatted, name) ?? "");
}

/** A page with every block of `blocks` that it holds regenerated. */
export async function regenerated(page: string, text: string, blocks = BLOCKS): Promise<string> {
  let updated = text;
  for (const block of blocks.filter((candidate) => candidate.page === page)) {
    const rendered = await block.render();
    const markdown = block.compact ? `<!-- prettier-ignore -->\n${rendered}` : rendered;
    updated = await withBlock(updated, block.name, markdown, page);
  }
  return updated;
}

async function main(mode: string | undefined): Promise<void> {
  if (mode !== "--write" && mode !== "--check") {
    for (const block of BLOCKS)
      process.stdout.write(`${block.page} ${block.name}:\n${await block.render()}\n\n`);
    return;
  }
  for (const page of new Set(BLOCKS.map((block) => block.page))) {
    const text = await readFile(pagePath(page), "utf8");
    const updated = await regenerated(page, text);
    if (updated === text) continue;
    if (mode === "--write") {
      await writeFile(pagePath(page), updated);
    } else {
      process.stderr.write(
        `${page}'s generated tables are stale: run \`npm run docs:write\` and commit it.\n`,
      );
      process.exitCode = 1;
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main(process.argv[2]);
