import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stats } from "../../src/checker/stats.js";
import { verdictLine } from "../../src/cli/antithesis.js";
import type { Client } from "../../src/client/types.js";
import { controlledSpec, FifoController } from "../../src/control/controller.js";
import { mainPhase, PhaseSwitch } from "../../src/control/phase.js";
import { phases, repeat } from "../../src/generator/index.js";
import type { Op } from "../../src/history/op.js";
import { runTest } from "../../src/runner/run-test.js";
import type { RunOptions, TestSpec } from "../../src/runner/spec.js";
import { composer, mkfifo, tempDir, waitForRunner } from "./helpers.js";

function options(storeDir: string): RunOptions {
  return {
    seed: 7,
    timeLimitMs: 50, // would end the main phase at once if external control did not lift it
    concurrency: 3,
    nodes: 0,
    nemesis: [],
    nemesisIntervalMs: 1_000,
    opTimeoutMs: 2_000,
    storeDir,
    keep: false,
    extra: {},
  };
}

/** Increments that succeed at once: the value is the counter after the op. */
function counterClient(): Client {
  let counter = 0;
  return {
    name: "counter",
    async open() {
      return {
        async invoke() {
          counter++;
          return { type: "ok", value: counter };
        },
        async close() {},
      };
    },
  };
}

const readHistory = (runDir: string): Op[] =>
  readFileSync(join(runDir, "history.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Op);

describe("FifoController with shell composer calls", () => {
  it("answers concurrent calls once each, skips a dead FIFO and a malformed name, then checks", async () => {
    const storeDir = tempDir("store");
    const controlDir = join(storeDir, "control");
    const phaseSwitch = new PhaseSwitch();
    const logs: string[] = [];
    const controller = new FifoController({
      controlDir,
      phaseSwitch,
      log: (line) => logs.push(line),
      readerWaitMs: 300,
      scanEveryMs: 50,
    });
    const spec: TestSpec = {
      name: "counter",
      client: counterClient(),
      generator: repeat({ f: "inc", value: null }),
      checker: stats(),
    };
    const running = runTest({
      definition: controlledSpec(spec, { phaseSwitch }),
      options: options(storeDir),
      driveMainPhase: controller.driveMainPhase,
      writeReports: false,
    });
    try {
      await waitForRunner(controlDir);
      // A FIFO whose reader is gone, and one with a name that is no command, appear first.
      mkfifo(join(controlDir, "op-0"));
      mkfifo(join(controlDir, "not-a-command"));
      const calls = await Promise.all(
        Array.from({ length: 8 }, (_, i) => composer("op", controlDir, { CRUCIBLE_OP_ID: `c${i}` })),
      );
      for (const call of calls) expect(call).toMatchObject({ code: 0, stderr: "" });
      const answered = calls.map((call) => {
        const lines = call.stdout.trim().split("\n");
        expect(lines).toHaveLength(1);
        return JSON.parse(lines[0]!) as Op;
      });
      // Each call ran its own op: eight distinct completions, counter values 1..8.
      expect(new Set(answered.map((op) => op.index)).size).toBe(8);
      expect(answered.map((op) => op.value).sort((a, b) => Number(a) - Number(b))).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8,
      ]);
      expect(answered.every((op) => op.type === "ok" && op.f === "inc")).toBe(true);
      expect(logs.some((line) => /dropping op-0: no reader/.test(line))).toBe(true);
      expect(logs.some((line) => /ignoring "not-a-command"/.test(line))).toBe(true);

      const checking = composer("check", controlDir);
      const outcome = await running;
      // Between check and the verdict, an op is refused, not run.
      const late = await composer("op", controlDir, { CRUCIBLE_OP_ID: "late" });
      expect(late.code).toBe(3);
      expect(late.stderr).toMatch(/main phase has ended/);
      await controller.finish(verdictLine(outcome, 0));
      const check = await checking;
      expect(check.code).toBe(0);
      expect(JSON.parse(check.stdout)).toMatchObject({ exitCode: 0, valid: true, complete: true, ops: 8 });

      const history = readHistory(outcome.runDir);
      const completions = history.filter((op) => op.type !== "invoke");
      expect(completions.map((op) => op.index).sort()).toEqual(answered.map((op) => op.index).sort());
      expect(outcome.results.stats.ops).toBe(8);
    } finally {
      controller.close();
      await running.catch(() => {});
    }
  });

  it("runs what a test composed after its mainPhase once check arrives", async () => {
    const storeDir = tempDir("store");
    const controlDir = join(storeDir, "control");
    const phaseSwitch = new PhaseSwitch();
    const controller = new FifoController({ controlDir, phaseSwitch, scanEveryMs: 50 });
    const spec: TestSpec = {
      name: "counter-cooldown",
      client: counterClient(),
      generator: phases(mainPhase(repeat({ f: "inc", value: null }), { phaseSwitch }), {
        f: "cooldown",
        value: null,
      }),
      finalGenerator: { f: "final", value: null },
      checker: stats(),
    };
    const running = runTest({
      definition: controlledSpec(spec, { phaseSwitch }),
      options: options(storeDir),
      driveMainPhase: controller.driveMainPhase,
      writeReports: false,
    });
    try {
      await waitForRunner(controlDir);
      for (let i = 0; i < 3; i++) expect((await composer("op", controlDir)).code).toBe(0);
      const checking = composer("check", controlDir);
      const outcome = await running;
      await controller.finish(verdictLine(outcome, 0));
      expect((await checking).code).toBe(0);
      const fs = readHistory(outcome.runDir)
        .filter((op) => op.type === "invoke")
        .map((op) => op.f);
      expect(fs).toEqual(["inc", "inc", "inc", "cooldown", "final"]);
    } finally {
      controller.close();
      await running.catch(() => {});
    }
  });
});
