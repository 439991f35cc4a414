/**
 * Entry point of one demo server process (one process per node):
 *
 *   node dist/demo/main.js --name n1 --port 0 --data-dir /tmp/n1 \
 *     --peers n2=http://127.0.0.1:7002,n3=http://127.0.0.1:7003 \
 *     --leader n1 --mode linearizable [--replication-delay-ms 0] [--replication-delay-ticks 0]
 *
 * Prints exactly one line `READY <port>` to stdout once it serves (after
 * recovering its log); everything else goes to stderr, prefixed with the
 * node's name. SIGTERM and SIGINT stop it cleanly (pending log records are
 * flushed); SIGKILL is what the durability tests use. With
 * `--exit-on-stdin-close` it also stops when its stdin pipe closes, so a
 * parent killed with SIGKILL leaves no orphan behind.
 *
 * Imports node builtins only (and this folder), so it starts fast.
 */

import { mkdir } from "node:fs/promises";
import type { Server } from "node:http";
import { describeError } from "../errors/index.js";
import { DEMO_SERVER_USAGE, type DemoServerArgs, parseDemoServerArgs } from "./args.js";
import { DemoNode } from "./node.js";
import { serveDemoNode } from "./server.js";

/** The "bad usage" exit code of docs/architecture.md (kept literal here so this entry point imports nothing else). */
const EXIT_USAGE = 64;
const EXIT_FAILED = 3;
/** A clean stop that takes longer than this (a hung flush) exits anyway. */
const STOP_GRACE_MS = 3000;

async function main(): Promise<void> {
  let args: DemoServerArgs;
  try {
    args = parseDemoServerArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`demo-server: ${describeError(error)}\n${DEMO_SERVER_USAGE}\n`);
    process.exit(EXIT_USAGE);
  }
  const log = (line: string): void => {
    process.stderr.write(`${new Date().toISOString()} ${args.name} ${line}\n`);
  };
  // Handlers first: a signal that arrives before them (say, right after READY) would kill the process uncleanly.
  let server: Server | undefined;
  let node: DemoNode | undefined;
  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    log(`${why}: stopping`);
    setTimeout(() => process.exit(0), STOP_GRACE_MS).unref();
    server?.close();
    server?.closeAllConnections();
    (node?.close() ?? Promise.resolve()).then(
      () => process.exit(0),
      (error: Error) => {
        log(`error while stopping: ${error.message}`);
        process.exit(EXIT_FAILED);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  if (args.exitOnStdinClose) {
    // The parent holds the other end of our stdin pipe; when it dies, the pipe closes.
    process.stdin.on("end", () => stop("stdin closed"));
    process.stdin.on("error", () => stop("stdin error"));
    process.stdin.resume();
  }

  await mkdir(args.dataDir, { recursive: true });
  node = await DemoNode.start({
    name: args.name,
    dataDir: args.dataDir,
    peers: args.peers,
    leader: args.leader,
    mode: args.mode,
    replicationDelayMs: args.replicationDelayMs,
    replicationDelayTicks: args.replicationDelayTicks,
    heartbeatMs: args.heartbeatMs,
    forwardTimeoutMs: args.forwardTimeoutMs,
    replicationTimeoutMs: args.replicationTimeoutMs,
    maxLogBytes: args.maxLogBytes,
    replicationWindowEntries: args.replicationWindowEntries,
    log,
    onFatal: (error) => {
      log(`FATAL: the log could not be written, stopping: ${error.message}`);
      process.exit(EXIT_FAILED);
    },
  });
  if (stopping) {
    await node.close();
    return;
  }
  const served = await serveDemoNode(node, { host: args.host, port: args.port });
  server = served.server;
  if (stopping) {
    server.close();
    return;
  }
  log(`serving on ${args.host}:${served.port} as ${node.role} (mode ${args.mode}, leader ${args.leader})`);
  process.stdout.write(`READY ${served.port}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `demo-server: ${error instanceof Error ? (error.stack ?? error.message) : describeError(error)}\n`,
  );
  process.exit(EXIT_FAILED);
});
