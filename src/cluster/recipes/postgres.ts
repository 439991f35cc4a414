/**
 * PostgreSQL (Debian `postgresql`): a throwaway cluster made by `initdb` in
 * the node's temp dir, served on a random loopback port, its Unix socket in
 * the node dir (never `/var/run/postgresql`). One node (no replication).
 *
 * `initdb` and `postgres` refuse to run as root. As root, both run as the
 * `postgres` system user through `setpriv --reuid=postgres --regid=postgres
 * --init-groups --`, which execs: the server stays a direct child of the
 * runner, so `node.pid` is the real postmaster and it is reaped on kill (a
 * zombie keeps `postmaster.pid` and a restart fails).
 *
 * Connect with `psql -h 127.0.0.1 -p <port> -U postgres postgres` (trust auth).
 * With TLS on (`{ tls: true }`) the server has `ssl=on` and its pg_hba.conf
 * admits TCP connections over SSL only (`hostnossl ... reject`), so a
 * client that forgot TLS is refused instead of quietly served in the clear;
 * the Unix socket in the node dir stays open (trust), as it is only for this
 * machine's tools.
 */
import { execFile } from "node:child_process";
import { chownSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { functionProbe } from "../probes.js";
import type { NodeSpec, Recipe, RecipeConnector, RecipeVariant } from "../recipe.js";
import { isRoot, requireExecutable } from "../system.js";
import type { NodeTls } from "../tls.js";
import type { Node } from "../types.js";

const execFileAsync = promisify(execFile);

export interface PostgresOptions {
  /** Dir holding `initdb`, `postgres`, `pg_isready`; default the newest `/usr/lib/postgresql/<v>/bin`, else PATH. */
  binDir?: string;
  /** System user to run as when the runner is root; default "postgres". */
  user?: string;
  variants?: readonly RecipeVariant[];
}

export const POSTGRES_VARIANTS: readonly RecipeVariant[] = [
  {
    name: "no-fsync",
    // synchronous_commit stays on: a commit is written to the WAL (the page cache, which outlives a
    // kill -9) before it is acknowledged. Turning it off too loses acknowledged commits on kill -9.
    description: "fsync and full_page_writes off: fast, loses data on an OS crash only (not on kill -9)",
    args: ["-c", "fsync=off", "-c", "full_page_writes=off"],
  },
  { name: "durable", description: "PostgreSQL defaults: fsync and synchronous commit on" },
];

function newestPostgresBinDir(): string[] {
  try {
    const versions = readdirSync("/usr/lib/postgresql")
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    return versions.map((version) => join("/usr/lib/postgresql", version, "bin"));
  } catch {
    return [];
  }
}

function userIds(user: string): { uid: number; gid: number } {
  for (const line of readFileText("/etc/passwd").split("\n")) {
    const fields = line.split(":");
    if (fields[0] === user) return { uid: Number(fields[2]), gid: Number(fields[3]) };
  }
  throw new Error(
    `postgres recipe: system user ${JSON.stringify(user)} not found (install the Debian package postgresql)`,
  );
}

function readFileText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** pg_hba.conf of a TLS server: the socket as initdb leaves it, TCP over SSL only (first match wins). */
const TLS_ONLY_HBA = [
  "# Written by crucible's postgres recipe for a TLS server: plain TCP connections are refused.",
  "local all all trust",
  "hostssl all all 0.0.0.0/0 trust",
  "hostssl all all ::/0 trust",
  "hostnossl all all 0.0.0.0/0 reject",
  "hostnossl all all ::/0 reject",
  "",
].join("\n");

/** PostgreSQL runs one server (no replication yet): what `--target postgres` starts by default. */
export const POSTGRES_DEFAULT_SIZE = 1;

/** A connected `pg` client of `node` (over TLS, verifying the server against the cluster's CA, when it has TLS on). */
async function connectSql(node: Node): Promise<pg.Client> {
  const meta = node.meta as { user?: unknown; database?: unknown; tls?: NodeTls };
  const client = new pg.Client({
    host: node.host,
    port: node.port,
    user: typeof meta.user === "string" ? meta.user : "postgres",
    database: typeof meta.database === "string" ? meta.database : "postgres",
    connectionTimeoutMillis: 10_000,
    ...(meta.tls && { ssl: { ca: readFileSync(meta.tls.caFile, "utf8") } }),
  });
  // An idle client whose server went away emits "error"; unhandled, that would end the process.
  client.on("error", () => {});
  await client.connect();
  return client;
}

/** `end()` waits for the server's goodbye, which a paused server never sends: bounded, then the socket is cut. */
async function closeSql(client: pg.Client): Promise<void> {
  const ended = client.end().catch(() => {});
  await Promise.race([ended, new Promise<void>((resolve) => setTimeout(resolve, 1_000).unref())]);
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

/** How tests connect to a PostgreSQL node (what `server.sqlConn()` uses), without building a recipe. */
export function postgresConnector(): RecipeConnector<pg.Client> & { readonly sql: true } {
  return { connect: connectSql, close: closeSql, sql: true };
}

export function postgres(options: PostgresOptions = {}): Recipe<pg.Client> {
  const binDirs = options.binDir ? [options.binDir] : newestPostgresBinDir();
  const initdb = requireExecutable("initdb", "postgresql", binDirs);
  const server = requireExecutable("postgres", "postgresql", binDirs);
  const pgIsReady = requireExecutable("pg_isready", "postgresql-client", binDirs);
  const asRoot = isRoot();
  const user = options.user ?? "postgres";
  const ids = asRoot ? userIds(user) : undefined;
  const setpriv = asRoot ? requireExecutable("setpriv", "util-linux") : undefined;
  /** Prefix a command so it runs as the postgres user when we are root. */
  const asUser = (command: string, args: readonly string[]): { command: string; args: string[] } =>
    setpriv
      ? {
          command: setpriv,
          args: [`--reuid=${user}`, `--regid=${user}`, "--init-groups", "--", command, ...args],
        }
      : { command, args: [...args] };

  return {
    name: "postgres",
    tls: true,
    connector: postgresConnector(),
    variants: options.variants ?? POSTGRES_VARIANTS,
    readyTimeoutMs: 30_000,
    stopGraceMs: 10_000,
    teardown: { signal: "SIGQUIT", graceMs: 5_000 },
    defaultSize: POSTGRES_DEFAULT_SIZE,
    checkSize(size) {
      if (size !== 1) throw new RangeError(`postgres recipe runs 1 node (no replication yet), not ${size}`);
    },
    async setup(node: NodeSpec) {
      if (ids) {
        // The server's user must own (and traverse) its dirs; they stay 0700.
        for (const dir of [node.cluster.runDir, node.dir, node.dataDir]) chownSync(dir, ids.uid, ids.gid);
        // The server reads its key and certificate itself, and refuses a key others can read.
        if (node.tls)
          for (const file of [node.tls.certFile, node.tls.keyFile]) chownSync(file, ids.uid, ids.gid);
      }
      const run = asUser(initdb, [
        "-D",
        node.dataDir,
        "-U",
        "postgres",
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",
      ]);
      try {
        await execFileAsync(run.command, run.args, { timeout: 120_000, cwd: node.dir });
      } catch (error) {
        const failure = error as { stderr?: string; stdout?: string; message: string };
        throw new Error(`initdb failed: ${failure.message}\n${failure.stdout ?? ""}${failure.stderr ?? ""}`);
      }
      if (node.tls) {
        const hba = join(node.dataDir, "pg_hba.conf");
        writeFileSync(hba, TLS_ONLY_HBA, { mode: 0o600 });
        if (ids) chownSync(hba, ids.uid, ids.gid);
      }
    },
    launch(node) {
      const run = asUser(server, [
        "-D",
        node.dataDir,
        "-p",
        String(node.port),
        "-h",
        node.host,
        "-k",
        node.dir,
        "-c",
        "max_connections=100",
        // Dynamic shared memory as files in the data dir, not /dev/shm: removed with the temp dir.
        "-c",
        "dynamic_shared_memory_type=mmap",
        ...(node.tls
          ? [
              "-c",
              "ssl=on",
              "-c",
              `ssl_cert_file=${node.tls.certFile}`,
              "-c",
              `ssl_key_file=${node.tls.keyFile}`,
            ]
          : []),
      ]);
      return { command: run.command, args: run.args, cwd: node.dir };
    },
    ready: (node) =>
      functionProbe(async (signal) => {
        await execFileAsync(
          pgIsReady,
          ["-h", node.host, "-p", String(node.port), "-U", "postgres", "-t", "1"],
          {
            signal,
            timeout: 3_000,
          },
        );
        return true;
      }),
    url: (node) => `postgres://postgres@${node.host}:${node.port}/postgres`,
    meta: (node) => ({ socketDir: node.dir, user: "postgres", database: "postgres" }),
    async leader(cluster) {
      return cluster.nodes[0];
    },
  };
}
