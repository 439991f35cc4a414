/**
 * A one-shot command with its output captured: what `actor.exec` runs (a
 * CLI user's `sync`, a contender's `etcdctl lock --nonblock`).
 *
 * It has the same guarantees as every process Crucible starts: its own
 * process group (a timeout kills the command's helpers too), registered
 * with the exit handler and the orphan watchdog from the moment it has a
 * pid, and marked with the watchdog's token in its environment before that.
 * Output goes to pipes, not a file (the caller wants it back), each capped.
 */
import { spawn } from "node:child_process";
import { registerGroup, unregisterGroup } from "../cluster/cleanup.js";
import { signalGroup } from "../cluster/process.js";
import { unwatchGroup, watchdogEnv, watchGroup } from "../cluster/watchdog.js";
import type { ExecResult } from "./types.js";

/** Default cap on each of stdout and stderr that `exec` keeps. */
export const EXEC_OUTPUT_MAX_BYTES = 16 * 1024 * 1024;

/** How long `exec` waits for the output pipes to drain after the command exited. */
export const EXEC_DRAIN_WAIT_MS = 2_000;

export interface RunCommandOptions {
  readonly argv: readonly string[];
  /** The full environment (not merged here). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly timeoutMs: number;
  readonly input?: string | Buffer;
  readonly maxOutputBytes?: number;
}

/** Run `argv` to its end (or its timeout); rejects only when it cannot be executed at all (ENOENT, EACCES). */
export async function runCommand(options: RunCommandOptions): Promise<ExecResult> {
  const [command, ...args] = options.argv;
  if (command === undefined || command === "") throw new RangeError("exec: argv must name a command");
  if (!(options.timeoutMs > 0)) throw new RangeError(`exec: timeoutMs must be > 0, got ${options.timeoutMs}`);
  const cap = options.maxOutputBytes ?? EXEC_OUTPUT_MAX_BYTES;
  const startedMs = performance.now();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...options.env, ...watchdogEnv() },
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const pid = child.pid;
  if (pid !== undefined) {
    registerGroup(pid);
    watchGroup(pid);
  }
  let truncated = false;
  const collect = (stream: NodeJS.ReadableStream | null): (() => string) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream?.on("data", (chunk: Buffer) => {
      if (size >= cap) {
        truncated = true;
        return;
      }
      const room = cap - size;
      if (chunk.length > room) truncated = true;
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      chunks.push(kept);
      size += kept.length;
    });
    return () => Buffer.concat(chunks).toString("utf8");
  };
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  // A command that does not read its stdin closes the pipe; that is not an error of ours.
  child.stdin?.on("error", () => {});
  child.stdin?.end(options.input ?? "");

  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (pid !== undefined) signalGroup(pid, "SIGKILL");
  }, options.timeoutMs);
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  try {
    const status = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve, reject) => {
        child.once("error", reject);
        child.once("exit", (code, signal) => resolve({ code, signal }));
      },
    );
    clearTimeout(timer);
    // The leader is gone; nothing else of its group may linger (a backgrounded helper holding the pipes).
    if (pid !== undefined) signalGroup(pid, "SIGKILL");
    // Bounded: the pipes close once every holder of them is dead, which the SIGKILL just saw to.
    let drainTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      closed,
      new Promise<void>((resolve) => {
        drainTimer = setTimeout(resolve, EXEC_DRAIN_WAIT_MS);
      }),
    ]);
    clearTimeout(drainTimer);
    return {
      stdout: stdout(),
      stderr: stderr(),
      code: status.code,
      signal: status.signal,
      durationMs: performance.now() - startedMs,
      timedOut,
      truncated,
    };
  } finally {
    clearTimeout(timer);
    if (pid !== undefined) {
      signalGroup(pid, "SIGKILL");
      unregisterGroup(pid);
      unwatchGroup(pid);
    }
  }
}
