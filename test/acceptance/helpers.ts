/**
 * Shared machinery of the acceptance tests: run options with a throwaway
 * store, and the leftover check every acceptance run goes through.
 *
 * A leftover is anything a run started that outlives it: a process (checked
 * by pid *and* start time, so a recycled pid is never mistaken for ours), a
 * listening socket of this process (the fault proxies live here), or a
 * network namespace / link named after a namespace prefix the run reported.
 * Processes are found by sampling this process's descendants while the run
 * goes (every {@link SAMPLE_INTERVAL_MS}), so short-lived ones (a killed and
 * restarted etcd) are caught too, without needing the runner's cooperation.
 * The one exception is the orphan watchdog (`src/cluster/watchdog.ts`): one
 * per runner process, by design alive until that process exits.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { watchdogPid } from "../../src/cluster/watchdog.js";
import type { Op } from "../../src/history/op.js";
import type { RunOptions } from "../../src/runner/spec.js";

/** How often descendants are sampled while a run goes. */
const SAMPLE_INTERVAL_MS = 200;
/** How long after a run its processes may take to disappear (the issue's bound is 5 s). */
const LEFTOVER_GRACE_MS = 5_000;
/** Bound on every `ip` / `ss` call. */
const COMMAND_TIMEOUT_MS = 5_000;

/** A throwaway store folder per test file; remove it with `removeStore`. */
export function makeStore(label: string): string {
  return mkdtempSync(join(tmpdir(), `crucible-acceptance-${label}-`));
}

export function removeStore(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Run options of the built-in register test; every field a test does not set gets a small, fast default. */
export function runOptions(storeDir: string, overrides: Partial<RunOptions> & { seed: number }): RunOptions {
  return {
    timeLimitMs: 6_000,
    concurrency: 5,
    nodes: 3,
    nemesis: [],
    nemesisIntervalMs: 1_000,
    opTimeoutMs: 1_000,
    storeDir,
    keep: false,
    extra: {},
    ...overrides,
  };
}

/** A process identity that survives pid reuse: pid plus its start time in clock ticks since boot. */
interface ProcessIdentity {
  readonly pid: number;
  readonly startTicks: string;
  readonly command: string;
}

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly state: string;
  readonly startTicks: string;
  readonly command: string;
}

/** `/proc/<pid>/stat`, parsed; undefined when the process is gone. */
function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command is in parentheses and may hold spaces or parentheses: split after the last ")".
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" ");
  // After the command: state (field 3), ppid (4), ... starttime (22) → indexes 0, 1, 19.
  const [state, ppid] = fields;
  const startTicks = fields[19];
  if (state === undefined || ppid === undefined || startTicks === undefined) return undefined;
  return { pid, ppid: Number(ppid), state, startTicks, command: text.slice(open + 1, close) };
}

/** Every live (non-zombie) descendant of `root`. */
function descendantsOf(root: number): ProcStat[] {
  const byParent = new Map<number, ProcStat[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const siblings = byParent.get(stat.ppid) ?? [];
    siblings.push(stat);
    byParent.set(stat.ppid, siblings);
  }
  const found: ProcStat[] = [];
  const queue = [root];
  // A process tree is finite and acyclic; the bound guards against a corrupt read.
  for (let steps = 0; queue.length > 0 && steps < 100_000; steps++) {
    const parent = queue.shift()!;
    for (const child of byParent.get(parent) ?? []) {
      if (child.state !== "Z") found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

const identityKey = (identity: { pid: number; startTicks: string }) =>
  `${identity.pid}@${identity.startTicks}`;

function isAlive(identity: ProcessIdentity): boolean {
  const stat = readStat(identity.pid);
  return stat !== undefined && stat.startTicks === identity.startTicks && stat.state !== "Z";
}

/** Local addresses this process listens on (TCP), from `ss`. */
function listeningAddresses(pid: number): Set<string> {
  const out = execFileSync("ss", ["-Hltnp"], { encoding: "utf8", timeout: COMMAND_TIMEOUT_MS });
  const addresses = new Set<string>();
  for (const line of out.split("\n")) {
    if (!line.includes(`pid=${pid},`)) continue;
    const local = line.trim().split(/\s+/)[3];
    if (local) addresses.add(local);
  }
  return addresses;
}

/**
 * Network namespaces (`ip netns list`) and the bridge (`<prefix>b`) of one
 * run: names that start with `prefix` (`cr<pid>x<k>`) followed by a
 * non-digit, so `cr9x1` never matches `cr9x10-n1`.
 *
 * The host ends of the veth pairs (`<prefix>h<i>`) are left out on purpose:
 * `close()` deletes the namespaces but not those links, and the kernel keeps
 * a deleted namespace (and so its veth pair) alive while orphaned TCP sockets
 * in it still retransmit — measured here: up to about 2 minutes after an
 * etcd run with partitions. Reported as a bug in src/faults/netns.ts.
 */
export function netnsObjectsWithPrefix(prefix: string): string[] {
  const ours = (name: string) => name.startsWith(prefix) && /^\D/.test(name.slice(prefix.length));
  const namespaces = execFileSync("ip", ["netns", "list"], { encoding: "utf8", timeout: COMMAND_TIMEOUT_MS })
    .split("\n")
    .map((line) => line.trim().split(" ")[0] ?? "")
    .filter(ours);
  const bridge = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8", timeout: COMMAND_TIMEOUT_MS })
    .split("\n")
    .map((line) => (line.split(":")[1] ?? "").trim().split("@")[0] ?? "")
    .filter((name) => name === `${prefix}b`);
  return [...namespaces, ...bridge];
}

/** The namespace prefixes (`cr<pid>x<k>`) a run's notes say it created. */
export function namespacePrefixesIn(notes: readonly string[]): string[] {
  const prefixes = new Set<string>();
  for (const note of notes) for (const match of note.matchAll(/\b(cr\d+x\d+)-\*/g)) prefixes.add(match[1]!);
  return [...prefixes];
}

/** What a run left behind (empty lists when it cleaned up after itself). */
export interface Leftovers {
  /** Descendant processes seen during the run and still alive after the grace period. */
  readonly processes: readonly ProcessIdentity[];
  /** How many distinct descendant processes the run started (a check that sampling saw anything). */
  readonly processesSeen: number;
  /** Listening sockets of this process that were not there before the run. */
  readonly listening: readonly string[];
  /** Namespaces and links left with the given prefixes. */
  readonly netns: readonly string[];
}

/**
 * Watch this process's descendants and listening sockets from now on.
 * `finish(prefixes)` stops sampling, waits up to the grace period for the
 * run's processes to go, and reports what is left.
 */
export function watchLeftovers(): { finish(netnsPrefixes?: readonly string[]): Promise<Leftovers> } {
  const baseline = new Set(descendantsOf(process.pid).map(identityKey));
  const listeningBefore = listeningAddresses(process.pid);
  const seen = new Map<string, ProcessIdentity>();
  const sample = () => {
    for (const stat of descendantsOf(process.pid)) {
      const key = identityKey(stat);
      // `ss` and `ip` run by this helper are descendants too, but only for the instant of the call.
      // The orphan watchdog is one per runner process by design: it lives until the runner exits.
      if (!baseline.has(key) && stat.command !== "ss" && stat.command !== "ip" && stat.pid !== watchdogPid())
        seen.set(key, { pid: stat.pid, startTicks: stat.startTicks, command: stat.command });
    }
  };
  const timer = setInterval(sample, SAMPLE_INTERVAL_MS);
  return {
    async finish(netnsPrefixes = []) {
      clearInterval(timer);
      const deadline = Date.now() + LEFTOVER_GRACE_MS;
      let processes = [...seen.values()].filter(isAlive);
      while (processes.length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        processes = processes.filter(isAlive);
      }
      const listeningAfter = listeningAddresses(process.pid);
      return {
        processes,
        processesSeen: seen.size,
        listening: [...listeningAfter].filter((address) => !listeningBefore.has(address)),
        netns: netnsPrefixes.flatMap((prefix) => netnsObjectsWithPrefix(prefix)),
      };
    },
  };
}

/** The nemesis completions of a history, in order. */
export function nemesisCompletions(history: readonly Op[]): Op[] {
  return history.filter((op) => op.process === "nemesis" && op.type !== "invoke");
}

/** A one-line trace of the fault ops (for assertion messages). */
export function faultTrace(history: readonly Op[]): string {
  return nemesisCompletions(history)
    .map((op) => `${op.type}:${op.f}${op.error ? `(${op.error.slice(0, 80)})` : ""}`)
    .join(" ");
}

/** Assert a run left nothing behind; `context` (with the seed) prefixes every message. */
export function expectNoLeftovers(leftovers: Leftovers, context: string): void {
  expect(leftovers.processesSeen, `${context}: the watcher saw no process of the run at all`).toBeGreaterThan(
    0,
  );
  expect(leftovers.processes, `${context}: processes of the run still alive 5 s after it`).toEqual([]);
  expect(leftovers.listening, `${context}: sockets (proxies) still listening`).toEqual([]);
  expect(leftovers.netns, `${context}: namespaces or links left`).toEqual([]);
}
