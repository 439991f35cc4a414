/**
 * No Yjs server or client outlives the runner: after a normal end and after
 * a SIGKILL of the runner (with a client mid-sync on a stalled link), the
 * server, the client and the watchdog are gone within 5 s. Checked by pid.
 * An error and a SIGINT of a `crucible run --workload sync --target yjs`
 * are test/sync/cli-orphans.test.ts's.
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

interface Pids {
  readonly server: number;
  readonly watchdog: number;
  readonly client: number;
}

async function startRunner(mode: string) {
  const child = spawn(process.execPath, ["--import", "tsx", runnerPath, mode], {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
  });
  started.push(child);
  let stderr = "";
  let stdout = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const pids = await new Promise<Pids>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`runner printed no PIDS in 45 s; stderr: ${stderr}`)),
      45_000,
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split("\n").find((l) => l.startsWith("PIDS "));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice(5)) as Pids);
      }
    });
    child.once("exit", (code) => reject(new Error(`runner exited ${code} before PIDS; stderr: ${stderr}`)));
  });
  return { child, pids, output: () => stdout };
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

describe("no Yjs sync process outlives the runner", () => {
  for (const mode of ["normal", "sigkill"] as const) {
    test(`after ${mode}`, { timeout: 90_000 }, async () => {
      const { child, pids, output } = await startRunner(mode);
      expect(isAlive(pids.server)).toBe(true);
      if (mode === "sigkill") {
        expect(isAlive(pids.client)).toBe(true);
        child.kill("SIGKILL");
      }
      const exitCode = await new Promise((resolve) =>
        child.exitCode !== null || child.signalCode !== null
          ? resolve(child.exitCode)
          : child.once("exit", (code) => resolve(code)),
      );
      // A normal end heals the link first, so bob's sync completes before the harness closes.
      if (mode === "normal") {
        expect(exitCode).toBe(0);
        expect(output()).toContain("SYNC 0");
      }
      expect(await allGone([pids.server, pids.client, pids.watchdog], 5_000)).toEqual([]);
    });
  }
});
