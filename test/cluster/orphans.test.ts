/**
 * No process outlives the runner: after a normal end, an uncaught exception,
 * SIGINT and SIGKILL of the runner, every pid the runner started (servers,
 * their grandchildren, the watchdog) is gone within 5 s. Checked by pid.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";
import { afterEach, describe, expect, test } from "vitest";
import { WATCHDOG_SOURCE } from "../../src/cluster/watchdog.js";

const runnerPath = fileURLToPath(new URL("./fixtures/runner.ts", import.meta.url));
const windowPath = fileURLToPath(new URL("./fixtures/watchdog-window.ts", import.meta.url));
const started: ChildProcess[] = [];

afterEach(() => {
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});

/** Alive and not a zombie (a zombie is dead; who reaps it is not ours to control). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Every live descendant of `root`, from /proc. */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parentOf.set(Number(entry), Number(fields[1]));
    } catch {
      // Exited while we looked.
    }
  }
  const found: number[] = [];
  for (const pid of parentOf.keys()) {
    let cursor: number | undefined = parentOf.get(pid);
    for (let depth = 0; cursor !== undefined && cursor > 1 && depth < 64; depth++) {
      if (cursor === root) {
        found.push(pid);
        break;
      }
      cursor = parentOf.get(cursor);
    }
  }
  return found;
}

interface Started {
  child: ChildProcess;
  pids: number[];
  runDir: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

async function startRunner(mode: string): Promise<Started> {
  const child = spawn(process.execPath, ["--import", "tsx", runnerPath, mode], {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
  });
  started.push(child);
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const info = await new Promise<{ pids: number[]; watchdog: number; runDir: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`runner printed no PIDS in 30 s; stderr:\n${stderr}`)),
      30_000,
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /PIDS (.*)\n/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(JSON.parse(match[1]!));
      }
    });
    void exited.then(() => {
      // Give the stdout reader a chance first.
      setTimeout(() => reject(new Error(`runner exited before PIDS; stderr:\n${stderr}`)), 200);
    });
  });
  // Everything it started: the printed pids (servers, grandchildren, watchdog) and whatever /proc shows.
  const pids = [...new Set([...info.pids, info.watchdog, ...descendants(child.pid!)])];
  return { child, pids, runDir: info.runDir, exited, stderr: () => stderr };
}

async function expectAllGone(pids: number[], withinMs = 5_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    alive = pids.filter(isAlive);
  }
  expect(alive, `pids still alive ${withinMs} ms after the runner ended`).toEqual([]);
}

describe("no orphans", () => {
  test("normal end: stop() kills everything and removes the temp dir", async () => {
    const run = await startRunner("normal");
    expect(run.pids.length).toBeGreaterThanOrEqual(5);
    const status = await run.exited;
    expect(status.code, run.stderr()).toBe(0);
    await expectAllGone(run.pids);
    expect(existsSync(run.runDir)).toBe(false);
  });

  test("uncaught exception: the exit handler kills everything", async () => {
    const run = await startRunner("throw");
    const status = await run.exited;
    expect(status.code).not.toBe(0);
    expect(run.stderr()).toContain("thrown on purpose");
    await expectAllGone(run.pids);
    expect(existsSync(run.runDir)).toBe(false);
  });

  test("SIGINT: the handler stops the cluster and the runner dies of SIGINT", async () => {
    const run = await startRunner("sigint");
    run.child.kill("SIGINT");
    const status = await run.exited;
    expect(status.signal).toBe("SIGINT");
    await expectAllGone(run.pids);
    expect(existsSync(run.runDir)).toBe(false);
  });

  test("SIGKILL: the watchdog kills every group and removes the temp dir", async () => {
    const run = await startRunner("sigkill");
    run.child.kill("SIGKILL");
    await run.exited;
    await expectAllGone(run.pids);
    const deadline = Date.now() + 5_000;
    while (existsSync(run.runDir) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(existsSync(run.runDir)).toBe(false);
  });

  test("the watchdog's inline source is valid JavaScript", () => {
    expect(() => new Script(WATCHDOG_SOURCE)).not.toThrow();
  });

  test("SIGKILL before a server's group or a dir is registered anywhere else: the watchdog's mark and createWatchedDir cover it", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", windowPath], {
      stdio: ["ignore", "pipe", "inherit"],
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
    });
    started.push(child);
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const info = await new Promise<{ pid: number; dir: string }>((resolve, reject) => {
      let stdout = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /READY (.*)\n/.exec(stdout);
        if (match) resolve(JSON.parse(match[1]!));
      });
      void exited.then(() => reject(new Error(`fixture exited before READY:\n${stdout}`)));
    });
    expect(isAlive(info.pid)).toBe(true);
    expect(existsSync(info.dir)).toBe(true);
    child.kill("SIGKILL");
    await exited;
    await expectAllGone([info.pid]);
    const deadline = Date.now() + 5_000;
    while (existsSync(info.dir) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(existsSync(info.dir)).toBe(false);
  });
});
