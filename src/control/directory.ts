/**
 * The control directory: where a driver's composer scripts create FIFOs,
 * one per command, and where the runner finds them.
 *
 * - `op-<id>`: run one operation of the main phase; `<id>` is letters,
 *   digits, `_`, `.` or `-` (at most 64), e.g. `op-1234`.
 * - `check`: end the main phase, run the final phase and the checkers.
 * - `.runner-pid` (written by the runner): the pid of the process watching,
 *   so a script can tell a slow runner from a dead one.
 *
 * The directory is created if missing and emptied of FIFOs and command
 * names when watching starts (stale FIFOs from an earlier run must not be
 * taken for new commands); other files are left alone, with a warning. New
 * entries are noticed through `fs.watch`, with a periodic scan as a fallback
 * (watch events can be coalesced or dropped, and some file systems have
 * none). Anything else that appears is ignored, with one warning per entry.
 */

import { type FSWatcher, lstatSync, mkdirSync, readdirSync, rmSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeError, invariant } from "../errors/index.js";

export const RUNNER_PID_FILE = ".runner-pid";

const OP_NAME = /^op-[A-Za-z0-9_.-]{1,64}$/;

export type ControlCommand =
  | { readonly kind: "op"; readonly name: string; readonly id: string; readonly path: string }
  | { readonly kind: "check"; readonly name: string; readonly path: string };

/** What a directory entry's name asks for; undefined when it is not a command name. */
export function parseCommandName(name: string): { kind: "op"; id: string } | { kind: "check" } | undefined {
  if (name === "check") return { kind: "check" };
  if (OP_NAME.test(name)) return { kind: "op", id: name.slice(3) };
  return undefined;
}

/** Order of commands found in one scan: by name, numbers compared as numbers (op-9 before op-10). */
const byName = new Intl.Collator("en", { numeric: true }).compare;

export interface ControlDirectoryOptions {
  dir: string;
  /** Fallback scan period; default 200 ms. */
  scanEveryMs?: number;
  /** Most commands waiting to be served; beyond it new FIFOs wait in the directory for a later scan. Default 10,000. */
  queueMax?: number;
  /** Warnings (malformed names, entries that are not FIFOs). */
  warn?: (message: string) => void;
}

export class ControlDirectory {
  readonly dir: string;
  private readonly scanEveryMs: number;
  private readonly queueMax: number;
  private readonly warn: (message: string) => void;
  /** Entries already handled or warned about, name → inode (a name reused by a new FIFO is new). */
  private readonly seen = new Map<string, number>();
  private readonly queue: ControlCommand[] = [];
  private waiter: (() => void) | undefined;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private opened = false;
  private closed = false;

  constructor(options: ControlDirectoryOptions) {
    this.dir = options.dir;
    this.scanEveryMs = options.scanEveryMs ?? 200;
    this.queueMax = options.queueMax ?? 10_000;
    this.warn = options.warn ?? (() => {});
  }

  /** Create (or empty) the directory, write the pid file, start watching. */
  open(): void {
    invariant(!this.opened && !this.closed, `the control directory ${this.dir} was already opened`);
    this.opened = true;
    mkdirSync(this.dir, { recursive: true });
    // Emptied of what the protocol put there (FIFOs, command names, our pid file), and nothing else:
    // a user's --control-dir may hold their own files, and deleting those would be unforgivable.
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name);
      let isFifo = false;
      try {
        isFifo = lstatSync(path).isFIFO();
      } catch {}
      if (!(isFifo || name === RUNNER_PID_FILE || parseCommandName(name))) continue;
      try {
        rmSync(path, { force: true });
      } catch (error) {
        this.warn(`could not remove ${path}: ${describeError(error)}`);
      }
    }
    try {
      this.watcher = watch(this.dir, () => this.scan());
      this.watcher.on("error", () => {
        // The periodic scan carries on alone.
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      this.watcher = undefined;
    }
    this.timer = setInterval(() => this.scan(), this.scanEveryMs);
    // Written last: a script that sees it may create its FIFO, which must then be picked up.
    writeFileSync(join(this.dir, RUNNER_PID_FILE), `${process.pid}\n`);
    this.scan();
  }

  /** Stop watching and remove the pid file (scripts still waiting then fail fast: nobody is watching). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    if (this.opened) rmSync(join(this.dir, RUNNER_PID_FILE), { force: true });
    this.waiter?.();
  }

  /** Commands found but not yet taken. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * The next command, in the order found; undefined when `timeoutMs` passes,
   * `signal` fires or the directory is closed first.
   */
  async next(options: { timeoutMs: number; signal?: AbortSignal }): Promise<ControlCommand | undefined> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      this.scan();
      const command = this.queue.shift();
      if (command) return command;
      const leftMs = deadline - Date.now();
      if (leftMs <= 0 || this.closed || options.signal?.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          options.signal?.removeEventListener("abort", done);
          this.waiter = undefined;
          resolve();
        };
        const timer = setTimeout(done, leftMs);
        options.signal?.addEventListener("abort", done, { once: true });
        this.waiter = done;
      });
    }
  }

  /** Remove a command's FIFO (one that we gave up on), so a late reader fails instead of hanging. */
  remove(command: ControlCommand): void {
    rmSync(command.path, { force: true });
  }

  /** Look for new entries; queue new command FIFOs, warn once about anything else. */
  scan(): void {
    if (!this.opened || this.closed || this.queue.length >= this.queueMax) return;
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (error) {
      this.warn(`cannot read the control directory ${this.dir}: ${describeError(error)}`);
      return;
    }
    const present = new Set(names);
    for (const name of this.seen.keys()) if (!present.has(name)) this.seen.delete(name);
    const found: ControlCommand[] = [];
    for (const name of names) {
      if (name.startsWith(".")) continue; // ours (the pid file) or a script's hidden temp file
      const path = join(this.dir, name);
      let inode: number;
      let isFifo: boolean;
      try {
        const stat = lstatSync(path);
        inode = stat.ino;
        isFifo = stat.isFIFO();
      } catch {
        continue; // gone between readdir and lstat
      }
      if (this.seen.get(name) === inode) continue;
      this.seen.set(name, inode);
      const parsed = parseCommandName(name);
      if (!parsed) {
        this.warn(`ignoring "${name}" in the control directory: expected op-<id> or check`);
        continue;
      }
      if (!isFifo) {
        this.warn(`ignoring "${name}" in the control directory: it is not a FIFO (create it with mkfifo)`);
        continue;
      }
      found.push(
        parsed.kind === "op" ? { kind: "op", name, id: parsed.id, path } : { kind: "check", name, path },
      );
    }
    if (found.length === 0) return;
    found.sort((a, b) => byName(a.name, b.name));
    for (const command of found) {
      if (this.queue.length >= this.queueMax) {
        this.seen.delete(command.name); // picked up by a later scan
        continue;
      }
      this.queue.push(command);
    }
    this.waiter?.();
  }
}
