/**
 * The orphan watchdog: what cleans up when the runner itself is SIGKILLed.
 *
 * A process killed with SIGKILL runs no handler, so the runner cannot clean up
 * after itself. Instead, before the runner spawns its first server or makes
 * its first temp dir, it starts one tiny watchdog process: `node -e <source>
 * <token>`, detached (its own session and process group, so a Ctrl-C aimed at
 * the runner's group does not reach it), with its stdin a pipe from the
 * runner. The runner writes one line per event:
 *
 *   `+pgid 1234`   a process group was spawned
 *   `-pgid 1234`   that group ended (the watchdog forgets it)
 *   `+dir /path`   remove this temp dir if the runner dies
 *   `-dir /path`   forget it (removed or kept on purpose)
 *
 * When its stdin reaches EOF — the runner exited, however it exited — the
 * watchdog kills, removes, and exits:
 *
 * 1. SIGKILL every registered group, and every process carrying the token in
 *    its environment ({@link WATCHDOG_ENV}, which every server is spawned
 *    with) or working inside a registered dir. The token closes the window
 *    between a spawn and its `+pgid` line: a server is marked from its first
 *    instruction. And EOF cannot come before that first instruction: a child
 *    between fork and exec still holds the runner's end of the pipe (it is
 *    close-on-exec), so the watchdog looks only once every child has exec'd.
 * 2. Wait (bounded) until those processes are dead, so none re-creates a file
 *    in a dir being removed.
 * 3. Remove the registered dirs. The runner registers a dir *before* it
 *    creates it ({@link createWatchedDir}), so a dir never exists unregistered.
 * 4. Look once more and repeat 1–3 if anything was found.
 *
 * Its source is an inline string so it works the same from `src` under tsx
 * and from `dist`, and starts in ~40 ms.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync } from "node:fs";
import type { Socket } from "node:net";
import { join } from "node:path";

/** The environment variable every server is spawned with: `<var>=<this runner's token>` marks it as ours. */
export const WATCHDOG_ENV = "CRUCIBLE_WATCHDOG";

/** How long the watchdog waits for killed processes to die before it removes dirs anyway. */
export const WATCHDOG_KILL_WAIT_MS = 3_000;

/** Runs inside the watchdog process. Plain JS (CommonJS, no imports beyond node builtins). */
export const WATCHDOG_SOURCE = `
const fs = require("node:fs");
const path = require("node:path");
const marker = Buffer.from("${WATCHDOG_ENV}=" + process.argv[1] + "\\0");
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
function isInside(file) {
  for (const dir of dirs) if (file === dir || file.startsWith(dir + path.sep)) return true;
  return false;
}
function alive(pid) {
  try {
    const stat = fs.readFileSync("/proc/" + pid + "/stat", "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch { return false; }
}
// Processes marked with our token or working in one of our dirs, from /proc.
function marked() {
  const found = [];
  let entries = [];
  try { entries = fs.readdirSync("/proc"); } catch { return found; }
  for (const entry of entries) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let hit = false;
    try { hit = fs.readFileSync("/proc/" + entry + "/environ").includes(marker); } catch {}
    if (!hit) { try { hit = isInside(fs.readlinkSync("/proc/" + entry + "/cwd")); } catch {} }
    if (hit && alive(pid)) found.push(pid);
  }
  return found;
}
function killAll() {
  const pids = marked();
  for (const pgid of groups) {
    if (Number.isInteger(pgid) && pgid > 1) {
      try { process.kill(-pgid, "SIGKILL"); } catch {}
      pids.push(pgid);
    }
  }
  for (const pid of pids) {
    try { process.kill(pid, "SIGKILL"); } catch {}
  }
  groups.clear();
  return pids;
}
function removeDirs() {
  for (const dir of dirs) {
    try { fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 }); } catch {}
  }
}
let cleaning = false;
async function cleanUp() {
  if (cleaning) return;
  cleaning = true;
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  for (let round = 0; round < 3; round++) {
    const pids = killAll();
    if (round > 0 && pids.length === 0) break;
    const deadline = Date.now() + ${WATCHDOG_KILL_WAIT_MS};
    while (pids.some(alive) && Date.now() < deadline) await sleep(10);
    removeDirs();
  }
  process.exit(0);
}
process.stdin.on("end", cleanUp);
process.stdin.on("error", cleanUp);
process.on("SIGHUP", () => {});
process.on("SIGINT", () => {});
`;

let watchdog: ChildProcess | undefined;
/** This runner's mark: one per process, so one runner's watchdog never touches another's servers. */
const token = `${process.pid}-${randomBytes(8).toString("hex")}`;

/** The watchdog's pid, when one is running (tests use it to check it exits too). */
export function watchdogPid(): number | undefined {
  return watchdog?.pid;
}

function ensureWatchdog(): ChildProcess | undefined {
  if (watchdog && watchdog.exitCode === null && watchdog.signalCode === null) return watchdog;
  const child = spawn(process.execPath, ["-e", WATCHDOG_SOURCE, token], {
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

/**
 * The environment entry that marks a server as this runner's, for the
 * watchdog to find it even before its group is registered. Starts the
 * watchdog, so it runs before the first server does.
 */
export function watchdogEnv(): Record<string, string> {
  ensureWatchdog();
  return { [WATCHDOG_ENV]: token };
}

/**
 * Make a fresh dir `<parent>/<prefix><random>` (mode 0700) that the watchdog
 * already knows: it is registered before it is created, so a runner killed at
 * any moment never leaves it behind. Like `mkdtempSync`, but in that order.
 */
export function createWatchedDir(parent: string, prefix: string): string {
  // Bounded: a clash of 48 random bits, ten times over, is not chance.
  for (let attempt = 0; attempt < 10; attempt++) {
    const dir = join(parent, `${prefix}${randomBytes(6).toString("base64url")}`);
    watchDir(dir);
    try {
      mkdirSync(dir, { mode: 0o700 });
      // Exactly 0700 whatever the umask, as mkdtemp gives.
      chmodSync(dir, 0o700);
      return dir;
    } catch (error) {
      unwatchDir(dir);
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  throw new Error(`createWatchedDir: no fresh name under ${parent} after 10 tries`);
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
