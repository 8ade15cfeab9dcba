/**
 * What the container image does, without a container engine: the built output and the package files in a directory
 * of their own, `npm ci --omit=dev` there, then `node dist/src/main.js` with `NODE_ENV=production` and the least a
 * live start needs. It serves, and a SIGTERM ends it with exit code 0.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { print } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestOtpDocument } from "../__generated__/graphql.js";
import { NODE_FLAGS } from "../../src/node-version.js";
import { json, startUpstream, type Upstream } from "../helpers/upstream.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const ROUTER_SECRET = "production-install-test-secret-0123456789";
/** Building and installing take tens of seconds on a busy machine; these bound them, they measure nothing. */
const SETUP_MS = 240_000;

let workspaceRoot: string | undefined;
/** The runtime stage's /app. */
let directory: string;
let upstream: Upstream;

beforeAll(async () => {
  const workspace = await mkdtemp(join(tmpdir(), "otp-image-"));
  directory = join(workspace, "app");
  // The build stage: what .dockerignore lets in (the package files, the TypeScript configs, src/), this checkout's
  // development dependencies (the stage's `npm ci`), and the Dockerfile's build command.
  const build = join(workspace, "build");
  await mkdir(build);
  for (const file of ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json"]) {
    await copyFile(join(ROOT, file), join(build, file));
  }
  await cp(join(ROOT, "src"), join(build, "src"), { recursive: true });
  await symlink(join(ROOT, "node_modules"), join(build, "node_modules"));
  await run(join(ROOT, "node_modules/.bin/tsc"), ["-p", "tsconfig.build.json"], { cwd: build });
  // The runtime stage: the package files, the production dependencies as the Dockerfile installs them, the output.
  await mkdir(directory);
  for (const file of ["package.json", "package-lock.json"])
    await copyFile(join(ROOT, file), join(directory, file));
  await run("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"], {
    cwd: directory,
    env: { ...process.env, NODE_ENV: "production" },
  });
  await cp(join(build, "dist/src"), join(directory, "dist/src"), { recursive: true });
  workspaceRoot = workspace;
  upstream = await startUpstream(json(200, { success: true, message: "OTP sent" }));
}, SETUP_MS);

afterAll(async () => {
  await (upstream as Upstream | undefined)?.close();
  if (workspaceRoot) await rm(workspaceRoot, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  origin: string;
  output: () => string;
  exit: Promise<number | null>;
}

/** `node <flags> dist/src/main.js` in the installed directory, as the image's CMD runs it. */
async function startImageProcess(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [...NODE_FLAGS, "dist/src/main.js"], {
    cwd: directory,
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      resolve(code);
    }),
  );
  const origin = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", () => {
      const match = /listening on (http:\/\/\S+)\/graphql/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    void exit.then((code) => {
      reject(new Error(`exited (${String(code)}) before listening:\n${output}`));
    });
  });
  return { child, origin, output: () => output, exit };
}

describe("the production install (what the image runs)", () => {
  it("is the Dockerfile's: production dependencies only, the `node` user, node itself as the process", async () => {
    const dockerfile = await readFile(join(ROOT, "Dockerfile"), "utf8");
    const runtime = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
    expect(dockerfile).toContain("RUN npx tsc -p tsconfig.build.json\n");
    expect(runtime).toContain("ENV NODE_ENV=production\n");
    expect(runtime).toContain("RUN npm ci --omit=dev --ignore-scripts");
    expect(runtime).toContain("COPY --from=build /app/dist/src ./dist/src\n");
    expect(runtime).toContain("USER node\n");
    const command = JSON.stringify(["node", ...NODE_FLAGS, "dist/src/main.js"]).replaceAll(",", ", ");
    expect(runtime.trimEnd().endsWith(`CMD ${command}`)).toBe(true);
    expect(dockerfile).not.toMatch(/SECRET|PASSWORD|TOKEN/);
  });

  it("holds no development dependency: no compiler, no tsx, no test runner", () => {
    for (const name of ["typescript", "tsx", "vitest", "@apollo/gateway", "eslint"]) {
      expect(existsSync(join(directory, "node_modules", name)), name).toBe(false);
    }
    expect(existsSync(join(directory, "dist/src/main.js"))).toBe(true);
  });

  it("starts with NODE_ENV=production, serves /healthz, /readyz and GraphQL, and exits 0 on SIGTERM", async () => {
    const started = await startImageProcess({
      NODE_ENV: "production",
      PHONE_BASE_URL: upstream.url,
      ROUTER_SECRET,
      PORT: "0",
      HOST: "127.0.0.1",
    });
    try {
      expect(started.output()).toMatch(
        /^OTP subgraph \(live\) listening on http:\/\/127\.0\.0\.1:\d+\/graphql$/m,
      );
      expect((await fetch(`${started.origin}/healthz`)).status).toBe(200);
      expect((await fetch(`${started.origin}/readyz`)).status).toBe(200);
      const response = await fetch(`${started.origin}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", "router-authorization": ROUTER_SECRET },
        body: JSON.stringify({
          query: print(RequestOtpDocument),
          variables: { input: { phone: { phone: "+919876543210", country: "IN", deviceId: "image-test" } } },
        }),
      });
      const body = (await response.json()) as { data?: { requestOtp?: Record<string, unknown> } };
      expect(body.data?.requestOtp).toMatchObject({ __typename: "OtpSent", challenge: { devOtp: null } });
      expect(upstream.requests).toHaveLength(1);

      started.child.kill("SIGTERM");
      expect(await started.exit).toBe(0);
      expect(started.output()).toContain("SIGTERM: refusing new requests");
    } finally {
      started.child.kill("SIGKILL");
    }
  });
});
