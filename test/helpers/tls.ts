import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.js";
import { loopbackOnly, spawnRedis, waitForPing } from "./redis.js";

/** A private CA and a server certificate it signed, made by `openssl` in a temporary directory. */
export interface TestCertificates {
  dir: string;
  /** The CA's certificate (PEM): what `REDIS_TLS_CA_FILE` names. */
  caFile: string;
  /** The server's certificate and key, for 127.0.0.1 and localhost. */
  certFile: string;
  keyFile: string;
  /** Another CA's certificate, which signed nothing here: a wrong `REDIS_TLS_CA_FILE`. */
  otherCaFile: string;
  remove(): Promise<void>;
}

/** Make the CA, the server's key and certificate (SAN 127.0.0.1 and localhost), and a second, unrelated CA. */
export async function makeCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), "otp-tls-"));
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
  const ca = (name: string) => {
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path(`${name}.key`));
    openssl(
      "req",
      "-x509",
      "-new",
      "-key",
      path(`${name}.key`),
      "-sha256",
      "-days",
      "2",
      "-subj",
      `/CN=${name}`,
      "-out",
      path(`${name}.crt`),
    );
  };
  ca("test-ca");
  ca("other-ca");
  openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path("server.key"));
  openssl("req", "-new", "-key", path("server.key"), "-subj", "/CN=localhost", "-out", path("server.csr"));
  await writeFile(path("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(
    "x509",
    "-req",
    "-in",
    path("server.csr"),
    "-CA",
    path("test-ca.crt"),
    "-CAkey",
    path("test-ca.key"),
    "-CAcreateserial",
    "-days",
    "2",
    "-sha256",
    "-extfile",
    path("server.ext"),
    "-out",
    path("server.crt"),
  );
  return {
    dir,
    caFile: path("test-ca.crt"),
    certFile: path("server.crt"),
    keyFile: path("server.key"),
    otherCaFile: path("other-ca.crt"),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** `redis-server` arguments for TLS only on `port` (no plain port) with `certificates`, client certificates not asked. */
export const tlsOnly = (port: number, certificates: TestCertificates) => [
  "--port",
  "0",
  "--tls-port",
  String(port),
  "--tls-cert-file",
  certificates.certFile,
  "--tls-key-file",
  certificates.keyFile,
  "--tls-ca-cert-file",
  certificates.caFile,
  "--tls-auth-clients",
  "no",
];

/** A `redis-server` that speaks TLS only, on a free loopback port; resolves once it answers PING over TLS. */
export async function startTlsRedisServer(
  certificates: TestCertificates,
  args: readonly string[] = [],
  /** A configuration file to start from (a sentinel's, which it rewrites). */
  configFile?: string,
): Promise<{ port: number; url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawnRedis([
    ...(configFile === undefined ? [] : [configFile]),
    ...loopbackOnly(0),
    ...tlsOnly(port, certificates),
    ...args,
  ]);
  await waitForPing({ port, ca: await readFile(certificates.caFile, "utf8") }, child);
  return {
    port,
    url: `rediss://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
}
