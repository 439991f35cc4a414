/**
 * TLS for test clusters: a throwaway certificate authority per cluster and a
 * certificate per node, made with the system's `openssl` (Debian package
 * openssl) in the cluster's temp dir, so etcd, Redis and PostgreSQL can be
 * started with TLS on (`startCluster(recipe, n, { tls: true })`) and their
 * clients verify the server against the CA.
 *
 * Keys are EC P-256 (fast to make: a 3-node cluster's material takes tens of
 * milliseconds); certificates are valid for a day, for `localhost`,
 * `127.0.0.1` and the node's own address, and usable as server and client
 * certificates (etcd members use theirs for peer traffic both ways).
 * Everything is removed with the cluster's temp dir.
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { requireExecutable } from "./system.js";

const execFileAsync = promisify(execFile);

/** The files of a node's TLS material. */
export interface NodeTls {
  /** The CA certificate (PEM) clients and peers trust. */
  readonly caFile: string;
  /** This node's certificate (PEM), signed by the CA. */
  readonly certFile: string;
  /** This node's private key (PEM, mode 0600). */
  readonly keyFile: string;
}

/** The CA of one cluster: where its files are, and how to issue node certificates. */
export interface TestCa {
  readonly dir: string;
  readonly caFile: string;
  /** The CA certificate's PEM text, for clients (`{ ca }`). */
  readonly caPem: string;
  /**
   * Issue a certificate for `name`, valid for `hosts` (IP addresses or DNS
   * names) besides localhost; its key and certificate are written to `outDir`
   * (default the CA's dir), e.g. the node's own dir, which a server running as
   * another user can read.
   */
  issue(name: string, hosts: readonly string[], outDir?: string): Promise<NodeTls>;
}

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  const command = requireExecutable("openssl", "openssl");
  try {
    await execFileAsync(command, args, { cwd, timeout: 30_000 });
  } catch (error) {
    const failure = error as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${failure.stderr?.trim() || failure.message}`);
  }
}

const IP = /^\d{1,3}(\.\d{1,3}){3}$|:/;

/** Make a CA in `dir` (created, 0700). */
export async function createTestCa(dir: string): Promise<TestCa> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKey = join(dir, "ca.key");
  const caFile = join(dir, "ca.crt");
  await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", caKey], dir);
  await openssl(
    [
      "req",
      "-x509",
      "-new",
      "-key",
      caKey,
      "-sha256",
      "-days",
      "1",
      "-subj",
      "/CN=crucible test CA",
      "-out",
      caFile,
    ],
    dir,
  );
  let serial = 1;
  return {
    dir,
    caFile,
    caPem: readFileSync(caFile, "utf8"),
    async issue(name: string, hosts: readonly string[], outDir = dir): Promise<NodeTls> {
      const keyFile = join(outDir, `${name}.key`);
      const csr = join(dir, `${name}.csr`);
      const certFile = join(outDir, `${name}.crt`);
      const ext = join(dir, `${name}.ext`);
      const names = new Set(["localhost", "127.0.0.1", ...hosts]);
      const san = [...names].map((host) => (IP.test(host) ? `IP:${host}` : `DNS:${host}`)).join(",");
      writeFileSync(
        ext,
        `subjectAltName=${san}\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n`,
      );
      await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", keyFile], dir);
      chmodSync(keyFile, 0o600);
      await openssl(["req", "-new", "-key", keyFile, "-subj", `/CN=${name}`, "-out", csr], dir);
      await openssl(
        [
          "x509",
          "-req",
          "-in",
          csr,
          "-CA",
          caFile,
          "-CAkey",
          caKey,
          "-set_serial",
          String(serial++),
          "-days",
          "1",
          "-sha256",
          "-extfile",
          ext,
          "-out",
          certFile,
        ],
        dir,
      );
      return { caFile, certFile, keyFile };
    },
  };
}
