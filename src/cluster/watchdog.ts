/**
 * The orphan watchdog: what cleans up when the runner itself is SIGKILLed.
 *
 * A process killed with SIGKILL runs no handler, so the runner cannot clean up
 * after itself. Instead, the first time a runner spawns a server it also starts
 * one tiny watchdog process: `node -e <source>`, detached (its own session and
 * process group, so a Ctrl-C aimed at the runner's group does not reach it),
 * with its stdin a pipe from the runner. The runner writes one line per event:
 *
 *   `+pgid 1234`   a process group was spawned
 *   `-pgid 1234`   that group ended (the watchdog forgets it)
 *   `+dir /path`   remove this temp dir if the runner dies
 *   `-dir /path`   forget it (removed or kept on purpose)
 *
 * When its stdin reaches EOF — the runner exited, however it exited — the
 * watchdog SIGKILLs every group still registered, removes the registered dirs,
 * and exits. Its source is an inline string so it works the same from `src`
 * under tsx and from `dist`, and starts in ~40 ms.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { Socket } from "node:net";

/** Runs inside the watchdog process. Plain JS (CommonJS, no imports beyond node builtins). */
export const WATCHDOG_SOURCE = `
const fs = require("node:fs");
const groups = new Set();
const dirs = new Set();
let buffered = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  buffered += chunk;
  if (buffered.length > 1048576) buffered = buffered.slice(-65536);
  let newline;
  while ((newline = buffered.indexOf("\\n")) >= 0) {
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    const space = line.indexOf(" ");
    const verb = line.slice(0, space);
    const arg = line.slice(space + 1);
    if (verb === "+pgid") groups.add(Number(arg));
    else if (verb === "-pgid") groups.delete(Number(arg));
    else if (verb === "+dir") dirs.add(arg);
    else if (verb === "-dir") dirs.delete(arg);
  }
});
function cleanUp() {
  for (const pgid of groups) {
    if (Number.isInteger(pgid) && pgid > 1) {
      try { process.kill(-pgid, "SIGKILL"); } catch {}
    }
  }
  for (const dir of dirs) {
    try { fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 }); } catch {}
  }
  process.exit(0);
}
process.stdin.on("end", cleanUp);
process.stdin.on("error", cleanUp);
process.on("SIGHUP", () => {});
process.on("SIGINT", () => {});
`;

let watchdog: ChildProcess | undefined;

/** The watchdog's pid, when one is running (tests use it to check it exits too). */
export function watchdogPid(): number | undefined {
  return watchdog?.pid;
}

function ensureWatchdog(): ChildProcess | undefined {
  if (watchdog && watchdog.exitCode === null && watchdog.signalCode === null) return watchdog;
  const child = spawn(process.execPath, ["-e", WATCHDOG_SOURCE], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  });
  child.on("error", () => {
    // Best effort: without a watchdog, the exit and signal handlers still clean up.
  });
  child.stdin?.on("error", () => {});
  // Neither the child nor its pipe may keep the runner alive.
  child.unref();
  (child.stdin as Socket | null)?.unref();
  watchdog = child;
  return child;
}

function send(line: string): void {
  const child = ensureWatchdog();
  if (!child?.stdin || child.stdin.destroyed) return;
  child.stdin.write(`${line}\n`);
}

/** Tell the watchdog a new process group exists. */
export function watchGroup(pgid: number): void {
  send(`+pgid ${pgid}`);
}

/** Tell the watchdog a process group has ended. */
export function unwatchGroup(pgid: number): void {
  if (watchdog) send(`-pgid ${pgid}`);
}

/** Ask the watchdog to remove `dir` if the runner dies. */
export function watchDir(dir: string): void {
  send(`+dir ${dir}`);
}

/** Forget `dir` (it was removed, or is to be kept). */
export function unwatchDir(dir: string): void {
  if (watchdog) send(`-dir ${dir}`);
}
