/**
 * No actor outlives the runner: after a normal end, an uncaught exception,
 * SIGINT and SIGKILL of the runner, every actor, its grandchild and the
 * watchdog are gone within 5 s, and the actors' temp dir is removed. Checked
 * by pid.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";
import { isAlive, killFixtureRunners, startFixtureRunner, stillAlive } from "../helpers/processes.js";

const runnerPath = fileURLToPath(new URL("./fixtures/runner.ts", import.meta.url));

afterEach(killFixtureRunners);

async function startRunner(mode: string) {
  const run = await startFixtureRunner<{ pids: number[]; watchdog: number; runDir: string }>(
    runnerPath,
    mode,
  );
  return { ...run, pids: [...run.info.pids, run.info.watchdog], runDir: run.info.runDir };
}

async function expectGone(pids: number[], runDir: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  expect(await stillAlive(pids, 5_000), "pids alive 5 s after the runner ended").toEqual([]);
  while (existsSync(runDir) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
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
