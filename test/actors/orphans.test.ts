/**
 * No actor outlives the runner: after a normal end, an uncaught exception,
 * SIGINT and SIGKILL of the runner, every actor, its grandchild and the
 * watchdog are gone within 5 s, and the actors' temp dir is removed. Checked
 * by pid.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";
import { isAlive } from "../helpers/processes.js";

const runnerPath = fileURLToPath(new URL("./fixtures/runner.ts", import.meta.url));
const started: ChildProcess[] = [];

afterEach(() => {
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});

async function startRunner(mode: string) {
  const child = spawn(process.execPath, ["--import", "tsx", runnerPath, mode], {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
  });
  started.push(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const info = await new Promise<{ pids: number[]; watchdog: number; runDir: string }>((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => reject(new Error(`no PIDS in 30 s; stderr:\n${stderr}`)), 30_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /PIDS (.*)\n/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(JSON.parse(match[1]!));
      }
    });
    void exited.then(() => setTimeout(() => reject(new Error(`exited before PIDS:\n${stderr}`)), 200));
  });
  return { child, pids: [...info.pids, info.watchdog], runDir: info.runDir, exited, stderr: () => stderr };
}

async function expectGone(pids: number[], runDir: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while ((pids.some(isAlive) || existsSync(runDir)) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  expect(pids.filter(isAlive), "pids alive 5 s after the runner ended").toEqual([]);
  expect(existsSync(runDir), `${runDir} left behind`).toBe(false);
}

describe("actors leave no orphan", () => {
  test("normal end", async () => {
    const run = await startRunner("normal");
    // 3 actors, 3 grandchildren, the watchdog (it may already be closing them: count, not liveness).
    expect(new Set(run.pids).size).toBe(7);
    expect((await run.exited).code, run.stderr()).toBe(0);
    await expectGone(run.pids, run.runDir);
  });

  test("uncaught exception", async () => {
    const run = await startRunner("throw");
    expect((await run.exited).code).not.toBe(0);
    expect(run.stderr()).toContain("thrown on purpose");
    await expectGone(run.pids, run.runDir);
  });

  test("SIGINT", async () => {
    const run = await startRunner("sigint");
    run.child.kill("SIGINT");
    expect((await run.exited).signal).toBe("SIGINT");
    await expectGone(run.pids, run.runDir);
  });

  test("SIGKILL of the runner: the watchdog", async () => {
    const run = await startRunner("sigkill");
    expect(run.pids.filter(isAlive)).toHaveLength(7);
    run.child.kill("SIGKILL");
    await run.exited;
    await expectGone(run.pids, run.runDir);
  });
});
