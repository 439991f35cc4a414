/**
 * Process supervision: one server process, spawned as a direct child of the
 * runner in its own process group, its output appended to a log file.
 *
 * Why each choice:
 * - Direct child: the runner reaps it. A killed server left as a zombie keeps
 *   its pid (and PostgreSQL's `postmaster.pid`), and a quick restart fails.
 * - Own process group (`detached: true`): signals go to `-pgid`, so helpers
 *   and grandchildren the server started are killed, paused and resumed with
 *   it; and a Ctrl-C aimed at the runner's terminal group does not race our
 *   orderly stop.
 * - Output to a file (not a pipe): a paused or slow runner never blocks a
 *   server on a full pipe, and the log survives the runner for post-mortems.
 * - Every group is registered with the exit handler and the watchdog as soon
 *   as `spawn` returns its pid, and every server carries the watchdog's mark
 *   in its environment from its first instruction, so it dies with the runner
 *   however and whenever the runner ends (even while it is being spawned).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync, writeSync } from "node:fs";
import { registerGroup, unregisterGroup } from "./cleanup.js";
import { unwatchGroup, watchdogEnv, watchGroup } from "./watchdog.js";

export interface SpawnOptions {
  command: string;
  args: readonly string[];
  /** Full environment of the child (not merged here). */
  env: Record<string, string | undefined>;
  cwd?: string;
  /** Output (stdout and stderr interleaved) is appended here. */
  logPath: string;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Default wait for a process to exit after SIGKILL; the kernel needs milliseconds, a loaded box more. */
export const KILL_WAIT_MS = 5_000;

/** A running (or ended) server process and its process group. */
export class ManagedProcess {
  readonly pid: number;
  readonly command: string;
  readonly logPath: string;
  private readonly child: ChildProcess;
  private status: ExitStatus | undefined;
  readonly exited: Promise<ExitStatus>;

  private constructor(child: ChildProcess, options: SpawnOptions) {
    if (child.pid === undefined) throw new Error(`spawn ${options.command}: no pid`);
    this.child = child;
    this.pid = child.pid;
    this.command = options.command;
    this.logPath = options.logPath;
    this.exited = new Promise<ExitStatus>((resolve) => {
      child.once("exit", (code, signal) => {
        this.status = { code, signal };
        // The leader is gone; make sure nothing else of its group lingers.
        signalGroup(this.pid, "SIGKILL");
        unregisterGroup(this.pid);
        unwatchGroup(this.pid);
        resolve(this.status);
      });
    });
  }

  /** Spawn `command` in its own group; rejects when it cannot be executed at all (ENOENT, EACCES). */
  static async spawn(options: SpawnOptions): Promise<ManagedProcess> {
    // Before the spawn: the watchdog must be running (and its mark in the env) before the child is.
    const env = { ...options.env, ...watchdogEnv() };
    const fd = openSync(options.logPath, "a", 0o600);
    let child: ChildProcess;
    try {
      writeSync(
        fd,
        `--- crucible: ${new Date().toISOString()} exec ${options.command} ${options.args.join(" ")}\n`,
      );
      child = spawn(options.command, options.args, {
        cwd: options.cwd,
        env,
        detached: true,
        stdio: ["ignore", fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    // Registered at once, not after the "spawn" event: nothing may run between the fork and this.
    const pid = child.pid;
    if (pid !== undefined) {
      registerGroup(pid);
      watchGroup(pid);
    }
    try {
      await new Promise<void>((resolve, reject) => {
        child.once("spawn", resolve);
        child.once("error", reject);
      });
    } catch (error) {
      if (pid !== undefined) {
        unregisterGroup(pid);
        unwatchGroup(pid);
      }
      throw error;
    }
    return new ManagedProcess(child, options);
  }

  /** Undefined while running. */
  get exitStatus(): ExitStatus | undefined {
    return this.status;
  }

  isRunning(): boolean {
    return this.status === undefined;
  }

  /**
   * Signal the whole process group, and every descendant that left it.
   * Some servers put their children in groups of their own (PostgreSQL's
   * backends call setsid), so signalling the group alone would pause the
   * postmaster while its backends go on serving. False when the group is
   * already gone.
   */
  signal(signal: NodeJS.Signals): boolean {
    if (!this.isRunning()) return false;
    return signalTree(this.pid, signal);
  }

  /** Wait for the process to exit; undefined if it did not within `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<ExitStatus | undefined> {
    return this.status ?? (await exitWithin(this.exited, timeoutMs));
  }

  /** SIGKILL the group and wait until the leader is reaped. */
  async kill(timeoutMs = KILL_WAIT_MS): Promise<void> {
    this.signal("SIGKILL");
    const status = await this.waitForExit(timeoutMs);
    if (!status)
      throw new Error(`pid ${this.pid} (${this.command}) did not exit within ${timeoutMs} ms of SIGKILL`);
  }

  /**
   * Graceful stop: SIGCONT (a paused process cannot handle SIGTERM), SIGTERM,
   * then SIGKILL if it has not exited after `graceMs`.
   */
  async stop(graceMs: number): Promise<void> {
    if (!this.isRunning()) return;
    this.signal("SIGCONT");
    this.signal("SIGTERM");
    if (await this.waitForExit(graceMs)) return;
    await this.kill();
  }

  /** Keep the child from holding the event loop open (it is still killed at exit). */
  unref(): void {
    this.child.unref();
  }
}

/**
 * Descendants of `rootPid` (read from /proc) whose process group is not
 * `rootPid`'s: the ones a group signal would miss. Empty where /proc is not
 * readable.
 */
export function descendantsOutsideGroup(rootPid: number): { pid: number; pgid: number }[] {
  const byParent = new Map<number, { pid: number; pgid: number }[]>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    // Fields after the command name (which may contain spaces and parens): state ppid pgrp ...
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ppid = Number(fields[1]);
    const pgid = Number(fields[2]);
    const list = byParent.get(ppid) ?? [];
    list.push({ pid: Number(entry), pgid });
    byParent.set(ppid, list);
  }
  const outside: { pid: number; pgid: number }[] = [];
  const queue = [rootPid];
  // Bounded: each pid is visited once, and /proc lists finitely many.
  for (let i = 0; i < queue.length; i++) {
    for (const child of byParent.get(queue[i]!) ?? []) {
      queue.push(child.pid);
      if (child.pgid !== rootPid) outside.push(child);
    }
  }
  return outside;
}

/** How many times {@link signalTree} looks again for processes forked while it froze the tree. */
export const SIGNAL_TREE_RESCANS_MAX = 3;

/**
 * Signal `rootPid`'s process group and every descendant that left it (with
 * its own group when it leads one). The descendants are found *before* the
 * group is signalled: once the root dies its children are reparented, and
 * /proc no longer links them to it, so a scan after a SIGKILL of the group
 * races the kernel and may find none (a lock wrapper's child then holds on
 * with no lease). For SIGKILL the tree is first frozen with SIGSTOP and
 * scanned again (at most {@link SIGNAL_TREE_RESCANS_MAX} times) so a
 * process forked meanwhile is not missed either. False when the group is
 * already gone.
 */
export function signalTree(rootPid: number, signal: NodeJS.Signals): boolean {
  const found = new Map<number, number>();
  const scan = (): number[] => {
    const fresh: number[] = [];
    for (const { pid, pgid } of descendantsOutsideGroup(rootPid)) {
      if (found.has(pid)) continue;
      found.set(pid, pgid);
      fresh.push(pid);
    }
    return fresh;
  };
  const send = (pids: Iterable<number>, sent: NodeJS.Signals): void => {
    for (const pid of pids) {
      try {
        process.kill(found.get(pid) === pid ? -pid : pid, sent);
      } catch {
        // Gone meanwhile.
      }
    }
  };
  scan();
  if (signal === "SIGKILL") {
    signalGroup(rootPid, "SIGSTOP");
    send(found.keys(), "SIGSTOP");
    for (let round = 0; round < SIGNAL_TREE_RESCANS_MAX; round++) {
      const fresh = scan();
      if (fresh.length === 0) break;
      send(fresh, "SIGSTOP");
    }
  }
  const delivered = signalGroup(rootPid, signal);
  send(found.keys(), signal);
  // A signal that leaves the root alive (SIGSTOP, SIGCONT, a handled SIGTERM): look once more, for a
  // process forked while we signalled (what the scan before could not see).
  if (signal !== "SIGKILL") send(scan(), signal);
  return delivered;
}

/** How long {@link waitUntilStopped} waits at most for a SIGSTOP to take effect. */
export const STOP_WAIT_MS = 1_000;

/**
 * Wait until `pid` is stopped (state `T` in /proc) or gone, at most
 * `timeoutMs`. A SIGSTOP is delivered asynchronously: a caller that pauses a
 * process and then acts on "it is paused" (a nemesis, a test reading
 * /proc) must not race the kernel. True when it is stopped or gone.
 */
export async function waitUntilStopped(pid: number, timeoutMs = STOP_WAIT_MS): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    let state: string | undefined;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    } catch {
      return true;
    }
    if (state === "T" || state === "t" || state === "Z") return true;
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** `process.kill(-pgid, signal)`, ignoring "no such process". */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}

/** Maximum bytes of a log read back for an error message or `logs()`. */
export const LOG_READ_MAX_BYTES = 16 * 1024 * 1024;

/** The whole log (bounded to its last {@link LOG_READ_MAX_BYTES}); "" when it does not exist. */
export function readLog(logPath: string): string {
  try {
    const text = readFileSync(logPath, "utf8");
    return text.length > LOG_READ_MAX_BYTES ? text.slice(-LOG_READ_MAX_BYTES) : text;
  } catch {
    return "";
  }
}

/** The last `lines` lines of a log, for error messages. */
export function logTail(logPath: string, lines = 50): string {
  const all = readLog(logPath).trimEnd().split("\n");
  return all.slice(-lines).join("\n");
}

/** `exited`'s status, or undefined if it has not settled within `timeoutMs` (the timer is always cleared). */
export async function exitWithin(
  exited: Promise<ExitStatus>,
  timeoutMs: number,
): Promise<ExitStatus | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
