/**
 * No sync server or client outlives the runner: after a normal end, an
 * uncaught exception, SIGINT and SIGKILL of the runner, the server and the
 * watchdog are gone within 5 s. Checked by pid.
 */
import { type ChildProcess, spawn } from "node:child_process";
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
  const pids = await new Promise<{ server: number; watchdog: number }>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(
      () => reject(new Error(`runner printed no PIDS in 30 s; stderr: ${stderr}`)),
      30_000,
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n").find((l) => l.startsWith("PIDS "));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice(5)));
      }
    });
    child.once("exit", (code) => reject(new Error(`runner exited ${code} before PIDS; stderr: ${stderr}`)));
  });
  return { child, pids };
}

async function allGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    alive = pids.filter(isAlive);
  }
  return alive;
}

describe("no sync process outlives the runner", () => {
  for (const mode of ["normal", "throw", "sigint", "sigkill"] as const) {
    test(`after ${mode}`, { timeout: 60_000 }, async () => {
      const { child, pids } = await startRunner(mode);
      if (mode !== "normal") expect(isAlive(pids.server)).toBe(true);
      if (mode === "sigint") child.kill("SIGINT");
      if (mode === "sigkill") child.kill("SIGKILL");
      await new Promise((resolve) =>
        child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once("exit", resolve),
      );
      expect(await allGone([pids.server, pids.watchdog], 5_000)).toEqual([]);
    });
  }
});
