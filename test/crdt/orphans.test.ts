/**
 * No Yjs server or client outlives the runner: after a normal end and after
 * a SIGKILL of the runner (with a client mid-sync on a stalled link), the
 * server, the client and the watchdog are gone within 5 s. Checked by pid.
 * An error and a SIGINT of a `crucible run --workload sync --target yjs`
 * are test/sync/cli-orphans.test.ts's.
 */
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";
import { isAlive, killFixtureRunners, startFixtureRunner, stillAlive } from "../helpers/processes.js";

const runnerPath = fileURLToPath(new URL("./fixtures/runner.ts", import.meta.url));

afterEach(killFixtureRunners);

interface Pids {
  readonly server: number;
  readonly watchdog: number;
  readonly client: number;
}

describe("no Yjs sync process outlives the runner", () => {
  for (const mode of ["normal", "sigkill"] as const) {
    test(`after ${mode}`, { timeout: 90_000 }, async () => {
      const {
        child,
        info: pids,
        exited,
        stdout,
      } = await startFixtureRunner<Pids>(runnerPath, mode, {
        timeoutMs: 45_000,
      });
      expect(isAlive(pids.server)).toBe(true);
      if (mode === "sigkill") {
        expect(isAlive(pids.client)).toBe(true);
        child.kill("SIGKILL");
      }
      const { code: exitCode } = await exited;
      // A normal end heals the link first, so bob's sync completes before the harness closes.
      if (mode === "normal") {
        expect(exitCode).toBe(0);
        expect(stdout()).toContain("SYNC 0");
      }
      expect(await stillAlive([pids.server, pids.client, pids.watchdog], 5_000)).toEqual([]);
    });
  }
});
