import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { NODE_FLAGS, SUPPORTED_NODE, unsupportedNode } from "../../src/node-version.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("supported Node.js lines", () => {
  it("are package.json's engines", () => {
    const manifest = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as { engines: { node: string } };
    expect(manifest.engines.node).toBe(SUPPORTED_NODE);
  });

  it("are 22.19 and later 22s, 24 and 26 on; older lines and the odd ones are refused", () => {
    for (const version of ["22.19.0", "22.23.5", "24.0.0", "24.22.3", "26.12.1", "28.0.0"]) {
      expect(unsupportedNode(version), version).toBeNull();
    }
    for (const version of ["18.20.8", "20.20.0", "22.18.0", "23.11.0", "25.2.1"]) {
      expect(unsupportedNode(version), version).toMatch(
        new RegExp(`^Node.js ${version} is not supported: .+\\.$`),
      );
    }
  });

  it("npm start passes the service's flags, as the image's CMD does (production-install.test.ts)", () => {
    const manifest = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as {
      scripts: { start: string };
    };
    expect(manifest.scripts.start).toMatch(new RegExp(` node ${NODE_FLAGS.join(" ")} dist/src/main\\.js$`));
  });

  it("the service's flags are ones this Node.js takes", () => {
    const result = spawnSync(process.execPath, [...NODE_FLAGS, "-e", ""], { encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("the running one is supported", () => {
    expect(unsupportedNode(process.versions.node)).toBeNull();
  });
});

/** A Node.js older than 22 on this machine (Debian's /usr/bin/node, say), or none. */
function olderNode(): string | undefined {
  for (const candidate of ["/usr/bin/node", "/usr/local/bin/node"]) {
    try {
      const version = execFileSync(candidate, ["-p", "process.versions.node"], { encoding: "utf8" }).trim();
      if (Number(version.split(".")[0]) < 22) return candidate;
    } catch {
      // Not there.
    }
  }
  return undefined;
}

const older = olderNode();

describe.skipIf(older === undefined)("an unsupported Node.js at start", () => {
  it("is refused in one line, exit code 1, before the service loads", () => {
    // The entry through tsx, as the tests run it; `tsx` itself supports Node 18 on.
    const result = spawnSync(older as string, ["--import", "tsx", "src/main.ts"], {
      cwd: root,
      encoding: "utf8",
      env: { PATH: process.env.PATH, PORT: "0", HOST: "127.0.0.1" },
      timeout: 15_000,
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^Node\.js \d+\.\d+\.\d+ is not supported: run Node\.js 22 .+\.\n$/);
  });
});
