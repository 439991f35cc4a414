/**
 * No process outlives the runner: after a normal end, an uncaught exception,
 * SIGINT and SIGKILL of the runner, every pid the runner started (servers,
 * their grandchildren, the watchdog) is gone within 5 s. Checked by pid.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";
import { afterEach, describe, expect, test } from "vitest";
import { WATCHDOG_SOURCE } from "../../src/cluster/watchdog.js";
import {
  descendants,
  isAlive,
  killFixtureRunners,
  startFixtureRunner,
  stillAlive,
} from "../helpers/processes.js";

const runnerPath = fileURLToPath(new URL("./fixtures/runner.ts", import.meta.url));
const windowPath = fileURLToPath(new URL("./fixtures/watchdog-window.ts", import.meta.url));
const started: ChildProcess[] = [];

afterEach(() => {
  killFixtureRunners();
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});

async function startRunner(mode: string) {
  const run = await startFixtureRunner<{ pids: number[]; watchdog: number; runDir: string }>(
    runnerPath,
    mode,
  );
  // Everything it started: the printed pids (servers, grandchildren, watchdog) and whatever /proc shows.
  const pids = [
    ...new Set([...run.info.pids, run.info.watchdog, ...descendants(run.child.pid!).map((proc) => proc.pid)]),
  ];
  return { ...run, pids, runDir: run.info.runDir };
}

async function expectAllGone(pids: number[], withinMs = 5_000): Promise<void> {
  expect(await stillAlive(pids, withinMs), `pids still alive ${withinMs} ms after the runner ended`).toEqual(
    [],
  );
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
