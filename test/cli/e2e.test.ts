/**
 * `crucible` end to end, as a user runs it: a separate Node process per
 * command (test/cli/fixtures/crucible.ts, which is bin/crucible.js on src/
 * instead of dist/, so no build is needed), a real 3-node demo cluster, a
 * store folder in a temp dir.
 *
 * - `run --time-limit 5 --seed 7` exits 0 and leaves the whole store folder;
 * - `run --json` prints only the results object on stdout, progress on stderr;
 * - SIGINT mid-run stops cleanly: exit 3, results marked incomplete, history
 *   kept, and no process the run started outlives it;
 * - `check <history.jsonl> --model kv` judges a stored history (exit 0);
 * - `report <run-dir>` regenerates report.html and junit.xml.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Results, TestInfo } from "../../src/history/results.js";

const CLI = resolve("test/cli/fixtures/crucible.ts");
/** The built-in test's name in its default (linearizable) demo mode: the store's first level. */
const TEST_NAME = "demo-register-linearizable";

let store: string;
/** Every process this file started, so afterAll can stop any a failed test left behind. */
const started = new Set<ChildProcess>();

beforeAll(async () => {
  store = await mkdtemp(join(tmpdir(), "crucible-e2e-"));
});

afterAll(async () => {
  for (const child of started)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  if (store) await rm(store, { recursive: true, force: true });
});

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Running {
  child: ChildProcess;
  /** What the process printed so far. */
  output: { stdout: string; stderr: string };
  /** Resolves when it exits; a process still running after `timeoutMs` is killed with SIGKILL. */
  finished: Promise<Finished>;
}

/** Start `crucible <args>` from src/ in its own Node process. */
function startCrucible(args: readonly string[], timeoutMs: number): Running {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    // No TTY and CI set: plain progress lines, no colors, as in a CI log.
    env: { ...process.env, CI: "1", NO_COLOR: "1" },
  });
  started.add(child);
  const output = { stdout: "", stderr: "" };
  child.stdout!.on("data", (chunk: Buffer) => {
    output.stdout += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    output.stderr += chunk.toString();
  });
  const finished = new Promise<Finished>((resolvePromise) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, ...output });
    });
  });
  return { child, output, finished };
}

function crucible(args: readonly string[], timeoutMs = 40_000): Promise<Finished> {
  return startCrucible(args, timeoutMs).finished;
}

/** The run folders of a test in a store (not the `latest` link). */
function runDirsOf(storeDir: string, testName = TEST_NAME): string[] {
  const testDir = join(storeDir, testName);
  if (!existsSync(testDir)) return [];
  return readdirSync(testDir)
    .filter((entry) => entry !== "latest")
    .map((entry) => join(testDir, entry));
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/** Parse every line of a history file; throws on a line that is not JSON. */
function historyLines(path: string): Record<string, unknown>[] {
  const text = readFileSync(path, "utf8");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** pid → parent pid, and whether it is a zombie, for every process in /proc. */
function processTable(): Map<number, { parent: number; zombie: boolean }> {
  const table = new Map<number, { parent: number; zombie: boolean }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
    const [state, parent] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    table.set(Number(entry), { parent: Number(parent), zombie: state === "Z" });
  }
  return table;
}

/** Every live descendant of a process (children, grandchildren, ...). */
function descendantsOf(rootPid: number): number[] {
  const table = processTable();
  const found: number[] = [];
  const queue = [rootPid];
  for (let i = 0; i < queue.length && i < 10_000; i++) {
    for (const [pid, info] of table) {
      if (info.parent === queue[i] && !info.zombie) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Poll `condition` every `intervalMs` until it holds or `timeoutMs` passes; returns whether it held. */
async function waitFor(condition: () => boolean, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolvePromise) => setTimeout(resolvePromise, intervalMs));
  }
  return condition();
}

describe("crucible run, check and report end to end", () => {
  /** The folder of the run of the first test, which the check and report tests reuse. */
  let runDir: string;

  it("`run --time-limit 5 --seed 7 --store DIR` exits 0 and leaves the whole store folder", async () => {
    const args = ["run", "--time-limit", "5", "--seed", "7", "--store", store];
    const result = await crucible(args);
    expect(result.code, result.stderr).toBe(0);

    const runs = runDirsOf(store);
    expect(runs).toHaveLength(1);
    runDir = runs[0]!;
    for (const file of ["test.json", "history.jsonl", "results.json", "report.html", "junit.xml"]) {
      expect(existsSync(join(runDir, file)), file).toBe(true);
    }
    expect(readdirSync(join(runDir, "nodes")).sort()).toEqual(["n1.log", "n2.log", "n3.log"]);
    const latest = join(store, TEST_NAME, "latest");
    expect(lstatSync(latest).isSymbolicLink()).toBe(true);
    expect(resolve(join(store, TEST_NAME), readlinkSync(latest))).toBe(runDir);

    const test = readJson<TestInfo>(join(runDir, "test.json"));
    expect(test.seed).toBe(7);
    expect(test.name).toBe(TEST_NAME);
    expect(test.reproduce).toBe(`crucible run --time-limit 5 --store ${store} --seed 7`);
    expect(test.argv).toEqual(args);

    const results = readJson<Results>(join(runDir, "results.json"));
    expect(results).toMatchObject({ valid: true, complete: true });
    const history = historyLines(join(runDir, "history.jsonl"));
    expect(history.length).toBeGreaterThan(100);
    expect(history.map((op) => op.index)).toEqual(history.map((_, i) => i));
    // The console summary names the verdict and where the report is.
    expect(result.stdout).toContain(`${TEST_NAME} · seed 7 · valid`);
    expect(result.stdout).toContain(join(runDir, "report.html"));
    // Without --json, progress goes to stdout too: the seed first, so a person can replay.
    expect(result.stdout.startsWith("seed: 7 ")).toBe(true);
  }, 60_000);

  it("`run --json` prints only the results object on stdout, and progress on stderr", async () => {
    const jsonStore = join(store, "json");
    const result = await crucible([
      "run",
      "--json",
      "--time-limit",
      "2",
      "--nemesis",
      "none",
      "--seed",
      "11",
      "--store",
      jsonStore,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout) as Results;
    const [dir] = runDirsOf(jsonStore);
    expect(printed).toEqual(readJson<Results>(join(dir!, "results.json")));
    expect(printed).toMatchObject({ valid: true, complete: true });
    expect(Object.keys(printed.checkers)).toContain("linearizable(kv)");
    expect(result.stderr).toContain("seed: 11");
    expect(result.stderr).toContain("run folder:");
  }, 60_000);

  it("SIGINT mid-run stops cleanly: exit 3, results incomplete, history kept, no process left", async () => {
    const sigintStore = join(store, "sigint");
    // Long enough that only the SIGINT can end it. Seed 12's fault schedule starts by pausing n2 (SIGSTOP) at
    // 1 s for 1 s: the SIGINT lands while a node is stopped, the hardest moment to shut down cleanly.
    const running = startCrucible(
      ["run", "--time-limit", "60", "--nemesis-interval", "1", "--seed", "12", "--store", sigintStore],
      60_000,
    );
    const pid = running.child.pid!;
    const seen = new Set<number>();
    const collect = () => {
      if (running.child.exitCode !== null) return;
      for (const descendant of descendantsOf(pid)) seen.add(descendant);
    };
    const poller = setInterval(collect, 100);
    try {
      // In the main phase, ops journaled, and node n2 paused by the nemesis.
      const historyPath = () => {
        const [dir] = runDirsOf(sigintStore);
        return dir ? join(dir, "history.jsonl") : "";
      };
      const busy = await waitFor(() => {
        const path = historyPath();
        if (path === "" || !existsSync(path)) return false;
        const text = readFileSync(path, "utf8");
        return text.split("\n").length > 100 && /"type":"ok","process":"nemesis","f":"pause"/.test(text);
      }, 30_000);
      expect(busy, running.output.stdout + running.output.stderr).toBe(true);
      collect();
      // Three demo nodes at least (plus whatever helpers the cluster runs).
      expect(seen.size).toBeGreaterThanOrEqual(3);

      running.child.kill("SIGINT");
      const result = await running.finished;
      expect(result.stdout).toContain("SIGINT: stopping the run cleanly");
      expect(result.code, result.stdout + result.stderr).toBe(3);

      const [dir] = runDirsOf(sigintStore);
      const results = readJson<Results>(join(dir!, "results.json"));
      expect(results.complete).toBe(false);
      const history = historyLines(join(dir!, "history.jsonl"));
      expect(history.length).toBeGreaterThan(200);
      expect(history.map((op) => op.index)).toEqual(history.map((_, i) => i));

      const gone = await waitFor(() => [...seen].every((descendant) => !isAlive(descendant)), 5_000);
      const alive = [...seen].filter(isAlive);
      expect(gone, `still alive: ${alive.join(", ")}`).toBe(true);
    } finally {
      clearInterval(poller);
      // Never leave a process behind, even when an assertion above failed.
      for (const descendant of seen) if (isAlive(descendant)) process.kill(descendant, "SIGKILL");
    }
  }, 60_000);

  it("`check <history.jsonl> --model kv` judges the stored history: valid, exit 0", async () => {
    expect(runDir).toBeDefined();
    const historyPath = join(runDir, "history.jsonl");
    const result = await crucible(["check", historyPath, "--model", "kv"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`${historyPath}: valid`);
  }, 30_000);

  it("`report <run-dir>` regenerates report.html and junit.xml", async () => {
    expect(runDir).toBeDefined();
    const reportPath = join(runDir, "report.html");
    const junitPath = join(runDir, "junit.xml");
    const before = readFileSync(reportPath, "utf8");
    rmSync(reportPath);
    rmSync(junitPath);
    const result = await crucible(["report", runDir]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`report: ${reportPath}`);
    const after = readFileSync(reportPath, "utf8");
    expect(after).toContain(TEST_NAME);
    // Same inputs, same page (the report embeds no generation time).
    expect(after.length).toBe(before.length);
    expect(readFileSync(junitPath, "utf8")).toContain("<testsuites");
  }, 30_000);
});
