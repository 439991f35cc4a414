/**
 * Kill at every moment: `crucible run` (the real CLI, `node bin/crucible.js`,
 * so `npm run build` first) is SIGKILLed at 50 points spread over cluster
 * start, for the demo and etcd targets behind the proxy mesh and (as root) in
 * network namespaces. After each kill nothing the run created may remain:
 * no process, no temp dir, no namespace or link (the iptables rules live in
 * the namespaces). Checked by pid and by path, never by name pattern alone:
 *
 * - processes: every descendant of the runner seen while it ran (polled
 *   from /proc), plus every process whose command line, cwd or stdout
 *   points into the run's store or cluster dir (what a node spawned just
 *   before the kill, too fast for the poll, still has);
 * - dirs: the run's clusters are put under a fresh `$CRUCIBLE_CLUSTER_DIR`,
 *   which must be empty again;
 * - namespaces and links: names carry the runner's pid (`cr<pid>x...`).
 *
 * The kill points: per configuration, half on an even grid over the whole
 * start (0 to `spanMs` after "starting cluster"), half on an even grid over
 * its first `denseMs`, where the processes and dirs are being created (the
 * moments that used to leave orphans).
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { whichExecutable } from "../../src/cluster/system.js";
import { netnsAvailability } from "../../src/faults/netns.js";
import { descendants } from "../helpers/processes.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(ROOT, "bin", "crucible.js");
const BUILT = existsSync(join(ROOT, "dist", "cli", "main.js"));
const IP = whichExecutable("ip", ["/usr/sbin", "/sbin"]) ?? "ip";
/** How long the watchdogs get to clean up after the kill before whatever is left counts as leaked. */
const CLEANUP_DEADLINE_MS = 5_000;

interface Configuration {
  target: "demo" | "etcd";
  network: "proxy" | "netns";
  points: number;
  /** About how long the cluster start takes after "starting cluster" on these machines. */
  spanMs: number;
  /** The early part of the start, where nodes are spawned and dirs made. */
  denseMs: number;
}

const haveEtcd = whichExecutable("etcd") !== undefined;
const haveNetns = netnsAvailability().available;
const CONFIGURATIONS: Configuration[] = [
  { target: "demo", network: "proxy", points: 13, spanMs: 450, denseMs: 60 },
  { target: "etcd", network: "proxy", points: 13, spanMs: 500, denseMs: 60 },
  { target: "demo", network: "netns", points: 12, spanMs: 600, denseMs: 250 },
  { target: "etcd", network: "netns", points: 12, spanMs: 650, denseMs: 250 },
];

function killPoints(configuration: Configuration): number[] {
  const even = (count: number, span: number) =>
    Array.from({ length: count }, (_, i) => Math.round((i * span) / Math.max(1, count - 1)));
  const dense = Math.ceil(configuration.points / 2);
  return [...even(dense, configuration.denseMs), ...even(configuration.points - dense, configuration.spanMs)];
}

interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Start time in clock ticks since boot: with the pid, names one process even after pid reuse. */
  startTicks: string;
  state: string;
}

function readStat(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { pid, ppid: Number(fields[1]), state: fields[0]!, startTicks: fields[19]! };
  } catch {
    return undefined;
  }
}

function allProcesses(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readStat(Number(entry));
    if (info) found.push(info);
  }
  return found;
}

/** Processes whose command line, cwd, stdout or stderr lies in one of `paths`. */
function processesUnder(paths: readonly string[], processes: ProcessInfo[]): ProcessInfo[] {
  const inside = (text: string) => paths.some((path) => text.includes(path));
  return processes.filter((info) => {
    const links: string[] = [];
    for (const link of ["cwd", "fd/1", "fd/2"]) {
      try {
        links.push(readlinkSync(`/proc/${info.pid}/${link}`));
      } catch {
        // Gone, or not ours to read.
      }
    }
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${info.pid}/cmdline`, "utf8");
    } catch {
      // Gone.
    }
    return inside(cmdline) || links.some(inside);
  });
}

function stillAlive(info: ProcessInfo): boolean {
  const now = readStat(info.pid);
  return now !== undefined && now.startTicks === info.startTicks && now.state !== "Z";
}

function netnsLeftovers(runnerPid: number): string[] {
  const prefix = `cr${runnerPid}x`;
  const found: string[] = [];
  try {
    for (const name of readdirSync("/var/run/netns"))
      if (name.startsWith(prefix)) found.push(`netns ${name}`);
  } catch {
    // No namespace was ever made here.
  }
  let links = "";
  try {
    links = execFileSync(IP, ["-o", "link", "show"], { encoding: "utf8", timeout: 10_000 });
  } catch {
    // No `ip`: there can be no links of ours either.
  }
  for (const line of links.split("\n")) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
    if (name?.startsWith(prefix)) found.push(`link ${name}`);
  }
  return found;
}

interface Leftovers {
  processes: string[];
  dirs: string[];
  network: string[];
}

function describeProcess(info: ProcessInfo): string {
  let cmdline = "?";
  try {
    cmdline = readFileSync(`/proc/${info.pid}/cmdline`, "utf8").replaceAll("\0", " ").trim().slice(0, 160);
  } catch {
    // Gone meanwhile.
  }
  const now = readStat(info.pid);
  return `pid ${info.pid} (ppid ${now?.ppid ?? "?"}): ${cmdline}`;
}

/** One run killed `delayMs` after it printed "starting cluster"; what it left behind. */
async function killOnce(configuration: Configuration, delayMs: number): Promise<Leftovers> {
  const store = mkdtempSync(join(tmpdir(), "crucible-kill-store-"));
  const clusterDir = mkdtempSync(join(tmpdir(), "crucible-kill-clusters-"));
  const child = spawn(
    process.execPath,
    [
      CLI,
      "run",
      "--store",
      store,
      "--target",
      configuration.target,
      "--network",
      configuration.network,
      "--nemesis",
      "none",
      "--time-limit",
      "30",
      "--concurrency",
      "2",
      "--seed",
      "1",
    ],
    {
      cwd: ROOT,
      env: { ...process.env, CRUCIBLE_CLUSTER_DIR: clusterDir },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const runnerPid = child.pid!;
  const seen = new Map<string, ProcessInfo>();
  const remember = (list: ProcessInfo[]) => {
    for (const info of list) seen.set(`${info.pid}/${info.startTicks}`, info);
  };
  const poll = setInterval(() => remember(descendants(runnerPid, allProcesses())), 10);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let output = "";
  try {
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("starting cluster")) {
          child.stdout.off("data", onData);
          child.stderr.off("data", onData);
          setTimeout(resolve, delayMs);
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      void exited.then(() => reject(new Error(`the runner exited before "starting cluster":\n${output}`)));
    });
  } catch (error) {
    clearInterval(poll);
    rmSync(clusterDir, { recursive: true, force: true });
    rmSync(store, { recursive: true, force: true });
    throw error;
  }
  remember(descendants(runnerPid, allProcesses()));
  child.kill("SIGKILL");
  await exited;
  clearInterval(poll);

  const paths = [store, clusterDir];
  const leftovers = (): Leftovers => {
    const processes = allProcesses();
    remember(processesUnder(paths, processes));
    const alive = [...seen.values()].filter(stillAlive);
    return {
      processes: alive.map(describeProcess),
      dirs: readdirSync(clusterDir).map((name) => join(clusterDir, name)),
      network: configuration.network === "netns" ? netnsLeftovers(runnerPid) : [],
    };
  };
  const deadline = Date.now() + CLEANUP_DEADLINE_MS;
  let left = leftovers();
  while (left.processes.length + left.dirs.length + left.network.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = leftovers();
  }

  // Whatever leaked must not spoil the next try (or the rest of the suite).
  for (const info of seen.values()) {
    if (stillAlive(info)) {
      try {
        process.kill(info.pid, "SIGKILL");
      } catch {
        // Gone meanwhile.
      }
    }
  }
  for (const entry of left.network) {
    const [kind, name] = entry.split(" ");
    try {
      execFileSync(IP, kind === "netns" ? ["netns", "del", name!] : ["link", "del", name!], {
        stdio: "ignore",
      });
    } catch {
      // Gone with its namespace.
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  rmSync(clusterDir, { recursive: true, force: true });
  rmSync(store, { recursive: true, force: true });
  return left;
}

describe.skipIf(!BUILT)("crucible run SIGKILLed at any moment of cluster start", () => {
  const runnable = CONFIGURATIONS.filter(
    (configuration) =>
      (configuration.target !== "etcd" || haveEtcd) && (configuration.network !== "netns" || haveNetns),
  );

  test.each(runnable)(
    "$target behind $network: 0 processes, dirs, namespaces or links left",
    async (configuration) => {
      const failures: string[] = [];
      for (const delayMs of killPoints(configuration)) {
        const left = await killOnce(configuration, delayMs);
        for (const what of [...left.processes, ...left.dirs, ...left.network])
          failures.push(`killed ${delayMs} ms after "starting cluster": left ${what}`);
      }
      expect(failures).toEqual([]);
    },
    120_000,
  );
});
