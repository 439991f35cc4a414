/**
 * A tethered child: a command whose whole process tree dies when the
 * process that started it dies, however it dies (SIGKILL included).
 *
 * Why: a lock wrapper runs its child in a process group of its own (so it
 * can signal the child without signalling itself). A SIGKILL of the
 * wrapper's group then misses the child, which holds on with no lease, and
 * a scan of /proc after the kill finds it no more (it was reparented). No
 * handler runs in a SIGKILLed process, so the child must notice by itself.
 *
 * How: the command runs under a tiny launcher (`node -e <source>`, like the
 * orphan watchdog, ~40 ms to start) that leads the child's group. The
 * launcher holds the read end of a pipe whose only write end is in the
 * wrapper (fd 3, close-on-exec there, so nothing else inherits it). The
 * kernel closes that end when the wrapper dies, the launcher reads EOF,
 * freezes its tree (SIGSTOP, so nothing forks past the scan), and SIGKILLs
 * every descendant (and each one's group when it leads one, as a recorder's
 * command does), then its own group. Otherwise the launcher is invisible:
 * it ignores SIGTERM, SIGINT and SIGHUP (the wrapper's signals to the group
 * are for the command, which gets them too), and exits with the command's
 * exit code, or 128 + the signal's number when a signal ended it, as a
 * shell reports it.
 */
import { type ChildProcess, spawn } from "node:child_process";

/** How many times the launcher looks again for processes forked while it froze its tree. */
export const TETHER_RESCANS_MAX = 3;

/** Runs inside the launcher. Plain JS (CommonJS, node builtins only); argv[1] is the command as JSON. */
export const TETHER_SOURCE = `
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const argv = JSON.parse(process.argv[1]);
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => {});
function descendants() {
  const byParent = new Map();
  let entries = [];
  try { entries = fs.readdirSync("/proc"); } catch { return []; }
  for (const entry of entries) {
    if (!/^[0-9]+$/.test(entry)) continue;
    let stat;
    try { stat = fs.readFileSync("/proc/" + entry + "/stat", "utf8"); } catch { continue; }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ppid = Number(fields[1]);
    const list = byParent.get(ppid) || [];
    list.push({ pid: Number(entry), pgid: Number(fields[2]) });
    byParent.set(ppid, list);
  }
  const found = [];
  const queue = [process.pid];
  for (let i = 0; i < queue.length; i++)
    for (const child of byParent.get(queue[i]) || []) { queue.push(child.pid); found.push(child); }
  return found;
}
function send(list, signal) {
  for (const { pid, pgid } of list) {
    try { process.kill(pgid === pid && pgid !== process.pid ? -pid : pid, signal); } catch {}
  }
}
let ending = false;
function killTree(code) {
  if (ending) return;
  ending = true;
  const seen = new Map();
  const scan = () => {
    const fresh = descendants().filter((item) => !seen.has(item.pid));
    for (const item of fresh) seen.set(item.pid, item);
    return fresh;
  };
  send(scan(), "SIGSTOP");
  for (let round = 0; round < ${TETHER_RESCANS_MAX}; round++) {
    const fresh = scan();
    if (fresh.length === 0) break;
    send(fresh, "SIGSTOP");
  }
  send([...seen.values()], "SIGKILL");
  if (code === undefined) {
    try { process.kill(-process.pid, "SIGKILL"); } catch {}
  }
  process.exit(code === undefined ? 137 : code);
}
const tether = new net.Socket({ fd: 3, readable: true, writable: false });
tether.on("data", () => {});
tether.on("end", () => killTree());
tether.on("close", () => killTree());
tether.on("error", () => killTree());
const child = spawn(argv[0], argv.slice(1), { stdio: "inherit" });
child.on("error", (error) => killTree(error.code === "ENOENT" ? 127 : 126));
child.on("exit", (code, signal) => {
  // The command is done; nothing it started may outlive it (its group, helpers that left it).
  killTree(code !== null ? code : 128 + (os.constants.signals[signal] || 0));
});
`;

export interface SpawnTetheredOptions {
  /** The full environment of the command (not merged here). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
}

/**
 * Spawn `argv` under the launcher, in a process group of its own (the
 * launcher's pid is the group's id: signal `-pid` to reach the command).
 * Its stdin, stdout and stderr are the caller's. The pipe that tethers it
 * is `child.stdio[3]`; keep the returned handle (or just stay alive):
 * the tree dies when this process does.
 */
export function spawnTethered(argv: readonly string[], options: SpawnTetheredOptions): ChildProcess {
  if (argv.length === 0 || argv[0] === "") throw new RangeError("spawnTethered: argv must name a command");
  const child = spawn(process.execPath, ["-e", TETHER_SOURCE, JSON.stringify(argv)], {
    stdio: ["inherit", "inherit", "inherit", "pipe"],
    detached: true,
    env: options.env,
    ...(options.cwd !== undefined && { cwd: options.cwd }),
  });
  // The pipe carries nothing; an error on it (the launcher gone) is not ours to raise.
  child.stdio[3]?.on("error", () => {});
  return child;
}
