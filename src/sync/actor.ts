/**
 * Sync actors: the users of a client binary, each with a home directory, a
 * data directory (its local database) and an environment of its own.
 *
 * `SyncActor` is the small interface the harness needs; `localSyncActor`
 * runs each command as a child process in its own process group, registered
 * with the runner's exit handler and watchdog, so a command running when the
 * runner dies (even by SIGKILL) dies too. The actor fixture of `src/actors/`
 * can stand behind the same interface.
 */
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { registerGroup, unregisterGroup } from "../cluster/cleanup.js";
import { signalGroup } from "../cluster/process.js";
import { unwatchGroup, watchdogEnv, watchGroup } from "../cluster/watchdog.js";

/** What one command of an actor did. */
export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  /** The exit code; `null` when a signal ended it (or the timeout did). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly durationMs: number;
  /** The command ran past its timeout and was killed. */
  readonly timedOut: boolean;
}

export interface ExecOptions {
  /** Kill the command (its whole group) after this long. */
  readonly timeoutMs: number;
  /** Added to the actor's environment for this command only (a clock offset, say). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface SyncActor {
  readonly name: string;
  readonly home: string;
  readonly dataDir: string;
  /** The actor's environment (HOME and whatever the system's adapter set). */
  readonly env: Record<string, string>;
  /** Run the client binary with `args` as this actor. */
  exec(args: readonly string[], options: ExecOptions): Promise<ExecResult>;
}

/** Cap on the output kept of one command, per stream: a bound on a runaway client. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

export interface LocalSyncActorOptions {
  readonly name: string;
  /** The actor's home is `<root>/<name>`, its data dir `<root>/<name>/data`. */
  readonly root: string;
  /** The client binary and the arguments before the command's own. */
  readonly command: string;
  readonly commandArgs: readonly string[];
  readonly env: Record<string, string>;
}

export function localSyncActor(options: LocalSyncActorOptions): SyncActor {
  const home = join(options.root, options.name);
  const dataDir = join(home, "data");
  mkdirSync(dataDir, { recursive: true });
  const env: Record<string, string> = { ...options.env, HOME: home };
  return {
    name: options.name,
    home,
    dataDir,
    env,
    exec: (args, execOptions) =>
      execInGroup(options.command, [...options.commandArgs, ...args], {
        cwd: home,
        env: { ...env, ...execOptions.env, ...watchdogEnv() },
        timeoutMs: execOptions.timeoutMs,
      }),
  };
}

function execInGroup(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs: number },
): Promise<ExecResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const pid = child.pid;
    if (pid !== undefined) {
      registerGroup(pid);
      watchGroup(pid);
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    child.stdout?.on("data", (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes <= MAX_OUTPUT_BYTES) out.push(chunk);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      errBytes += chunk.length;
      if (errBytes <= MAX_OUTPUT_BYTES) err.push(chunk);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) signalGroup(pid, "SIGKILL");
    }, options.timeoutMs);
    const finish = (code: number | null, signal: NodeJS.Signals | null, extra = ""): void => {
      clearTimeout(timer);
      if (pid !== undefined) {
        signalGroup(pid, "SIGKILL");
        unregisterGroup(pid);
        unwatchGroup(pid);
      }
      resolve({
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8") + extra,
        code,
        signal,
        durationMs: performance.now() - started,
        timedOut,
      });
    };
    child.once("error", (error) => finish(null, null, `spawn ${command}: ${error.message}`));
    child.once("close", (code, signal) => finish(code, signal));
  });
}
