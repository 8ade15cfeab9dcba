/**
 * Secrets from files, as Docker and Kubernetes mount them: every secret setting `NAME` may be given as
 * `NAME_FILE`, the path of a file that holds it. The file is read once at start; one trailing newline is dropped.
 */
import { readFileSync } from "node:fs";

export const FILE_SUFFIX = "_FILE";

/**
 * `environment` with each `NAME_FILE` of `secretNames` read into `NAME`, and the problems found: both set, a file
 * that cannot be read, an empty one. A problem names the variables, never a value or a file's content.
 */
export function readSecretFiles(
  environment: NodeJS.ProcessEnv,
  secretNames: readonly string[],
): { environment: NodeJS.ProcessEnv; problems: string[] } {
  const resolved = { ...environment };
  const problems: string[] = [];
  for (const name of secretNames) {
    const fileVariable = `${name}${FILE_SUFFIX}`;
    const path = environment[fileVariable]?.trim();
    if (!path) continue;
    if (environment[name]?.trim()) {
      problems.push(`${name}, ${fileVariable}: set one of them, not both`);
      continue;
    }
    let content: string;
    try {
      content = readFileSync(path, "utf8");
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? "unreadable";
      problems.push(`${fileVariable}: the file ${path} cannot be read (${reason})`);
      continue;
    }
    const value = content.replace(/\r?\n$/, "");
    if (value.trim() === "") {
      problems.push(`${fileVariable}: the file ${path} is empty`);
      continue;
    }
    resolved[name] = value;
  }
  return { environment: resolved, problems };
}
