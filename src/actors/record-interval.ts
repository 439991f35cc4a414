/**
 * The interval recorder: run one command while recording, in the interval
 * log, that this process held something from before the command started
 * until after it ended. What `crucible interval` runs, for a child of any
 * language:
 *
 *   etcdctl lock --ttl 5 job -- crucible interval --log /tmp/i.jsonl --holder a2 --token-env ETCD_LOCK_REV -- ./work
 *
 * 1. A start record (`{ holder, pid, start, token?, slot?, office?, key? }`)
 *    is appended (one `write(2)`, `O_APPEND`) before the command is spawned,
 *    so the hold is on record before the command can do any work.
 * 2. The command runs in a process group of its own, so that a SIGTERM,
 *    SIGINT or SIGHUP the recorder gets is forwarded to the command's whole
 *    group: a shell that waits for its own child (`sh -c 'sleep 30'`
 *    defers SIGTERM until `sleep` ends) and the grandchildren stop too.
 * 3. When the command has exited, whatever is left of its group is
 *    SIGKILLed (a grandchild dies with the child), the end record (the same
 *    fields plus `end`) is appended, and the recorder exits with the
 *    command's code (128 + the signal's number when a signal ended it, as a
 *    shell does).
 *
 * A SIGKILL of the recorder alone cannot be forwarded: the command's group
 * lives on. Whoever SIGKILLs a recorder must signal its descendants too, as
 * `crucible demo-lock` and the actor fixture do (they walk /proc for
 * descendants outside the group).
 *
 * A recorder killed with SIGKILL mid-hold writes no end record: the log
 * keeps an open interval, which the checkers end at the kill they know of
 * or at the end of the run (docs/locks.md). `pid` is the recorder's pid,
 * the one a wrapper's group kill reaches.
 */
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { appendIntervalRecord, type IntervalRecord, monotonicNowNs } from "../history/intervals.js";

export interface RecordIntervalOptions {
  /** The interval log (created when missing). */
  readonly log: string;
  readonly holder: string;
  readonly token?: string | number;
  readonly slot?: number;
  readonly office?: string;
  readonly key?: string | number;
  /** The command and its arguments. */
  readonly argv: readonly string[];
  /** The command's environment; default this process's. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Exit codes of the recorder when the command could not run, as a shell has them. */
export const RECORDER_EXIT = { notExecutable: 126, notFound: 127 } as const;

const FORWARDED: readonly NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP"];

/** The exit code a shell gives for a command that ended with `code` or `signal`. */
export function shellExitCode(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal ? constants.signals[signal] : undefined;
  return 128 + (number ?? 0);
}

/** Run `argv` between a start and an end record; resolves to the exit code the recorder should exit with. */
export async function recordInterval(options: RecordIntervalOptions): Promise<number> {
  const [command, ...args] = options.argv;
  if (command === undefined || command === "") throw new RangeError("recordInterval: no command to run");
  const start = monotonicNowNs();
  const base: IntervalRecord = {
    holder: options.holder,
    pid: process.pid,
    start,
    ...(options.slot === undefined ? {} : { slot: options.slot }),
    ...(options.office === undefined ? {} : { office: options.office }),
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.key === undefined ? {} : { key: options.key }),
  };
  appendIntervalRecord(options.log, base);
  // The handlers go in before the spawn: a signal that comes while the command starts is forwarded once it
  // has a pid, instead of killing the recorder by default and leaving the command's group behind.
  let child: ReturnType<typeof spawn> | undefined;
  let early: NodeJS.Signals | undefined;
  const signalCommand = (signal: NodeJS.Signals): void => {
    if (child?.pid === undefined) {
      early ??= signal;
      return;
    }
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The command's group is gone already.
    }
  };
  const forward = (signal: NodeJS.Signals) => () => signalCommand(signal);
  const handlers = FORWARDED.map((signal) => [signal, forward(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  const started = spawn(command, args, { stdio: "inherit", env: options.env ?? process.env, detached: true });
  child = started;
  if (early !== undefined) signalCommand(early);
  try {
    const exit = await new Promise<number>((resolve) => {
      started.once("error", (error: NodeJS.ErrnoException) =>
        resolve(error.code === "ENOENT" ? RECORDER_EXIT.notFound : RECORDER_EXIT.notExecutable),
      );
      started.once("exit", (code, signal) => resolve(shellExitCode(code, signal)));
    });
    signalCommand("SIGKILL");
    appendIntervalRecord(options.log, { ...base, end: monotonicNowNs() });
    return exit;
  } finally {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  }
}
