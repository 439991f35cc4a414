/**
 * No sync server or client outlives the runner: after a normal end, an
 * uncaught exception, SIGINT and SIGKILL of the runner, the server and the
 * watchdog are gone within 5 s. Checked by pid.
 */
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";
import { isAlive, killFixtureRunners, startFixtureRunner, stillAlive } from "../helpers/processes.js";

const runnerPath = fileURLToPath(new URL("./fixtures/runner.ts", import.meta.url));

afterEach(killFixtureRunners);

describe("no sync process outlives the runner", () => {
  for (const mode of ["normal", "throw", "sigint", "sigkill"] as const) {
    test(`after ${mode}`, { timeout: 60_000 }, async () => {
      const {
        child,
        info: pids,
        exited,
      } = await startFixtureRunner<{ server: number; watchdog: number }>(runnerPath, mode, { stdin: true });
      if (mode !== "normal") expect(isAlive(pids.server)).toBe(true);
      if (mode === "throw") child.stdin!.write("go\n");
      if (mode === "sigint") child.kill("SIGINT");
      if (mode === "sigkill") child.kill("SIGKILL");
      await exited;
      expect(await stillAlive([pids.server, pids.watchdog], 5_000)).toEqual([]);
    });
  }
});
