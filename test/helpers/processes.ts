/** Process checks the no-orphan tests share: by pid, through /proc. */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The state letter of `/proc/<pid>/stat` (`R`, `S`, `T`, `Z`, ...), or undefined when there is no such process. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return undefined;
  }
}

/** True while `pid` is a live process: a zombie (exited, not yet reaped) is not alive. */
export function isAlive(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state !== "Z";
}

/** One process as /proc shows it. */
export interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  /** Its command line, arguments joined by spaces (empty for a zombie or a kernel thread). */
  readonly cmdline: string;
}

/** Every process now, with its parent and command line (a process that ends while read is left out). */
export function processes(): ProcInfo[] {
  const found: ProcInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ").trimEnd();
      found.push({ pid: Number(entry), ppid, cmdline });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Every descendant of `root` in `all` (default: the processes now), nearest first. */
export function descendants(root: number): ProcInfo[];
export function descendants<T extends { readonly pid: number; readonly ppid: number }>(
  root: number,
  all: readonly T[],
): T[];
export function descendants(
  root: number,
  all: readonly { readonly pid: number; readonly ppid: number }[] = processes(),
): { readonly pid: number; readonly ppid: number }[] {
  const children = new Map<number, (typeof all)[number][]>();
  for (const info of all) {
    const list = children.get(info.ppid) ?? [];
    list.push(info);
    children.set(info.ppid, list);
  }
  const found: (typeof all)[number][] = [];
  const queue = [root];
  for (let i = 0; i < queue.length; i++)
    for (const child of children.get(queue[i]!) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  return found;
}

/** Waits until none of `pids` is alive or `timeoutMs` passed; returns those still alive (empty: all gone). */
export async function stillAlive(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    alive = pids.filter(isAlive);
  }
  return alive;
}

/** A fixture runner started by {@link startFixtureRunner}. */
export interface FixtureRunner<Info> {
  readonly child: ChildProcess;
  /** What the runner printed after its `PIDS ` marker, parsed as JSON. */
  readonly info: Info;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

const running = new Set<ChildProcess>();

/**
 * Starts a no-orphan test's fixture runner (`node --import tsx <path> <mode>`
 * from the repository root) and waits for its `PIDS <json>` line. Rejects,
 * with its stderr, when it exits first or prints nothing in `timeoutMs`.
 * {@link killFixtureRunners} (in an `afterEach`) kills any still running.
 */
export async function startFixtureRunner<Info>(
  path: string,
  mode: string,
  options: {
    readonly timeoutMs?: number;
    /** Give the runner a stdin pipe (`child.stdin`) instead of /dev/null, for a fixture that waits for a word. */
    readonly stdin?: boolean;
  } = {},
): Promise<FixtureRunner<Info>> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child = spawn(process.execPath, ["--import", "tsx", path, mode], {
    stdio: [options.stdin ? "pipe" : "ignore", "pipe", "pipe"],
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
  });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const info = await new Promise<Info>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${path} ${mode}: no PIDS line in ${timeoutMs} ms; stderr:\n${stderr}`)),
      timeoutMs,
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /^PIDS (.*)\n/m.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(JSON.parse(match[1]!) as Info);
      }
    });
    void exited.then(({ code, signal }) => {
      // Give the stdout reader a chance first.
      setTimeout(() => {
        clearTimeout(timer);
        reject(new Error(`${path} ${mode}: exited (${code ?? signal}) before PIDS; stderr:\n${stderr}`));
      }, 200);
    });
  });
  return { child, info, exited, stdout: () => stdout, stderr: () => stderr };
}

/** SIGKILLs every fixture runner still running (for `afterEach`). */
export function killFixtureRunners(): void {
  for (const child of running)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  running.clear();
}
