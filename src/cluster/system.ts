/**
 * Small facts about the machine a cluster runs on: free ports, where
 * executables are, where temp dirs go, whether we are root.
 */

import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { invariant } from "../errors/index.js";

/** Loopback: every server binds here. */
export const LOOPBACK = "127.0.0.1";

/**
 * `count` distinct free TCP ports on loopback, found by binding port 0. All
 * listeners are held until every port is found, so the ports are distinct;
 * another process may still take one before the server binds it, which is why
 * starts retry on "address already in use".
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, LOOPBACK, resolve);
      });
      const address = server.address();
      invariant(address !== null && typeof address !== "string", "freePorts: a TCP server has no port");
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

/** Raised when a system a recipe needs is not installed; names the Debian package. */
export class MissingDependencyError extends Error {
  readonly executable: string;
  readonly debianPackage: string;
  constructor(executable: string, debianPackage: string) {
    super(
      `${executable} not found: install the Debian package ${debianPackage} ` +
        `(as root: apt-get install -y ${debianPackage}, or run node scripts/setup-test-env.mjs)`,
    );
    this.name = "MissingDependencyError";
    this.executable = executable;
    this.debianPackage = debianPackage;
  }
}

/** The first executable named `name` in `extraDirs` then PATH; undefined when none. */
export function whichExecutable(name: string, extraDirs: readonly string[] = []): string | undefined {
  const dirs = [...extraDirs, ...(process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin").split(delimiter)];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** Like {@link whichExecutable} but throws {@link MissingDependencyError} naming the package. */
export function requireExecutable(
  name: string,
  debianPackage: string,
  extraDirs: readonly string[] = [],
): string {
  const found = whichExecutable(name, extraDirs);
  if (!found) throw new MissingDependencyError(name, debianPackage);
  return found;
}

export function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/**
 * Environment variable naming the parent dir of every cluster's temp dir,
 * whatever the storage asks for: a test (or a CI job) that must tell its
 * runs' dirs apart from everyone else's on a shared machine sets it.
 */
export const CLUSTER_DIR_ENV = "CRUCIBLE_CLUSTER_DIR";

/**
 * The parent dir for data dirs: `$CRUCIBLE_CLUSTER_DIR` when set; else, for
 * tmpfs, `/dev/shm` when it exists and is writable; else the OS temp dir.
 */
export function defaultBaseDir(storage: "tmpfs" | "disk"): string {
  const fromEnv = process.env[CLUSTER_DIR_ENV];
  if (fromEnv) return fromEnv;
  if (storage === "tmpfs") {
    try {
      accessSync("/dev/shm", constants.W_OK | constants.X_OK);
      if (statSync("/dev/shm").isDirectory()) return "/dev/shm";
    } catch {
      // Fall through to disk.
    }
  }
  const dir = tmpdir();
  mkdirSync(dir, { recursive: true });
  return dir;
}
