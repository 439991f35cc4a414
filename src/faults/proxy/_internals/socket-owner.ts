/**
 * Who dialed this connection, on one machine: the process that owns the
 * connection's other end. Linux lists every TCP socket of the network
 * namespace in `/proc/net/tcp` (and `tcp6`) with its local and remote
 * address and its inode; a process holding the socket has a file descriptor
 * whose link reads `socket:[<inode>]` in `/proc/<pid>/fd`. So, for a
 * connection a proxy accepted from `dialer` on its address `accepted`:
 *
 * 1. find the line whose local address is `dialer` and whose remote address
 *    is `accepted` (the dialer's side of the connection) and take its inode;
 * 2. look for that inode among the fds of the candidate processes (the
 *    nodes' pids), then of their process groups (a node runs in its own
 *    group, so a wrapper's child is still found).
 *
 * Reading another user's fds needs the same uid or root, as `ss -p` does;
 * where it is not allowed the owner is simply not found.
 *
 * The socket table is read asynchronously: on a busy machine the kernel
 * takes milliseconds to print it (`bench/dialer-identify.ts`), and the
 * proxies sharing the runner's event loop must not stall meanwhile.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { endianness } from "node:os";

export interface SocketEnd {
  readonly host: string;
  readonly port: number;
}

/** `127.0.0.1` as `/proc/net/tcp` prints it: the 32-bit word in host byte order, in hex. */
function ipv4Word(host: string): string | undefined {
  const parts = host.split(".").map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255))
    return undefined;
  const bytes = endianness() === "LE" ? [...parts].reverse() : parts;
  return bytes
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("")
    .toUpperCase();
}

/** An end as `/proc/net/tcp` (IPv4) and `/proc/net/tcp6` (IPv4-mapped) print it. */
function procAddresses(end: SocketEnd): string[] {
  const host = end.host.replace(/^::ffff:/i, "");
  const word = ipv4Word(host);
  if (word === undefined) return [];
  const port = end.port.toString(16).padStart(4, "0").toUpperCase();
  const mappedPrefix = `0000000000000000${endianness() === "LE" ? "FFFF0000" : "0000FFFF"}`;
  return [`${word}:${port}`, `${mappedPrefix}${word}:${port}`];
}

/** The inode of the socket whose local end is `local` and remote end `remote`; undefined when not listed. */
export async function tcpSocketInode(local: SocketEnd, remote: SocketEnd): Promise<number | undefined> {
  const locals = new Set(procAddresses(local));
  const remotes = new Set(procAddresses(remote));
  if (locals.size === 0 || remotes.size === 0) return undefined;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = await readFile(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      if (!locals.has(fields[1]!) || !remotes.has(fields[2]!)) continue;
      const inode = Number(fields[9]);
      if (Number.isSafeInteger(inode) && inode > 0) return inode;
    }
  }
  return undefined;
}

/** Whether `pid` holds the socket `inode` (false when its fds cannot be read: gone, or another user's). */
export function holdsSocket(pid: number, inode: number): boolean {
  const wanted = `socket:[${inode}]`;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) === wanted) return true;
    } catch {
      // The fd closed while we looked: not this one.
    }
  }
  return false;
}

/** Pids of every process whose process group is one of `groups`, read from /proc. */
function processesInGroups(groups: ReadonlySet<number>): { pid: number; pgid: number }[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const found: { pid: number; pgid: number }[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the command name (which may hold spaces and parens): state ppid pgrp ...
      const pgid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (groups.has(pgid)) found.push({ pid: Number(entry), pgid });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/**
 * Which of `candidates` (pid → name; each pid also the leader of its own
 * process group) owns the dialing end of the connection accepted at
 * `accepted` from `dialer`; undefined when none does (or it cannot be told).
 */
export async function dialerOf(options: {
  readonly dialer: SocketEnd;
  readonly accepted: SocketEnd;
  readonly candidates: ReadonlyMap<number, string>;
}): Promise<string | undefined> {
  const inode = await tcpSocketInode(options.dialer, options.accepted);
  if (inode === undefined) return undefined;
  for (const [pid, name] of options.candidates) if (holdsSocket(pid, inode)) return name;
  // A child of a node's process (a wrapper that forks) is in the node's process group.
  for (const { pid, pgid } of processesInGroups(new Set(options.candidates.keys()))) {
    if (!options.candidates.has(pid) && holdsSocket(pid, inode)) return options.candidates.get(pgid);
  }
  return undefined;
}

/** Whether this process can read the socket table and fds at all (Linux /proc). */
export function socketOwnersReadable(): boolean {
  try {
    readFileSync("/proc/net/tcp", "utf8");
    readdirSync(`/proc/${process.pid}/fd`);
    return true;
  } catch {
    return false;
  }
}
