/**
 * A test with actors: the runner starts them after the cluster (none here),
 * journals each exit as an actor-exit invoke/info pair on the nemesis lane
 * (never while a nemesis op is open), closes them at teardown, and reads
 * the interval log into the checkers' context on the history's time axis.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startActors } from "../../src/actors/index.js";
import type { Checker } from "../../src/checker/types.js";
import { crucibleCliCommand } from "../../src/demo/launch.js";
import { customFaults } from "../../src/faults/custom.js";
import { repeat, sleep, stagger } from "../../src/generator/index.js";
import { type Interval, readIntervalLog } from "../../src/history/intervals.js";
import { readHistoryFile } from "../../src/history/reader.js";
import { Runner } from "../../src/runner/runner.js";
import { noopClient, runOptions, tempStore } from "./helpers.js";

describe("a runner with actors", () => {
  it("journals exits, closes actors, and gives checkers the interval log on the run's axis", async () => {
    const runDir = tempStore();
    let seen: readonly Interval[] | undefined;
    const capture: Checker = {
      name: "capture",
      check(_history, ctx) {
        seen = ctx.intervals;
        return { valid: true };
      },
    };
    const command = crucibleCliCommand({ from: "source" });
    const cli = [command.command, ...command.args];
    const runner = new Runner({
      spec: {
        name: "actors",
        client: noopClient,
        generator: stagger(100, repeat({ f: "write", value: 1 })),
        // A nemesis op open for 300 ms while an actor exits: the exit must wait for its completion.
        nemesis: customFaults({
          name: "slow",
          faults: { slow: async () => new Promise((resolve) => setTimeout(() => resolve("done"), 300)) },
          generator: [sleep(500), { f: "slow", value: null }, sleep(1_000), { f: "slow", value: null }],
        }),
        actors: (ctx) =>
          startActors({
            count: 2,
            command: cli[0]!,
            args: (actor) => [
              ...cli.slice(1),
              "interval",
              "--log",
              ctx.intervalLogPath,
              "--holder",
              actor.name,
              "--",
              "sh",
              "-c",
              actor.name === "a1" ? "exit 3" : "sleep 30",
            ],
            logDir: ctx.logDir,
            onExit: ctx.onExit,
          }),
        checker: capture,
        timeLimitMs: 8_000,
      },
      options: runOptions({ timeLimitMs: 8_000, concurrency: 1 }),
      runDir,
    });
    const results = await runner.run();
    expect(results.checkers.capture?.valid).toBe(true);
    const { ops } = await readHistoryFile(join(runDir, "history.jsonl"));
    const exits = ops.filter((op) => op.f === "actor-exit");
    // a1 exited 3 by itself; a2 was closed at teardown (SIGKILL).
    expect(exits.filter((op) => op.type === "info").map((op) => op.value)).toEqual([
      expect.objectContaining({ actor: "a1", code: 3, cause: "exited" }),
      expect.objectContaining({ actor: "a2", signal: "SIGKILL", cause: "close" }),
    ]);
    // The reader accepted the history: every actor-exit invoke is followed by its info.
    for (const op of exits.filter((o) => o.type === "invoke")) expect(ops[op.index + 1]?.type).toBe("info");
    // a1's hold is closed, a2's (killed mid-hold) is open; times are on the history's axis.
    const byHolder = new Map(seen?.map((interval) => [interval.holder, interval]));
    const a1 = byHolder.get("a1")!;
    expect(a1.end).toBeDefined();
    expect(byHolder.get("a2")?.end).toBeUndefined();
    const a1Exit = exits.find((op) => (op.value as { actor: string }).actor === "a1")!;
    const at = (a1Exit.value as { at: number }).at;
    expect(a1.start).toBeGreaterThan(-5e9);
    expect(a1.end!).toBeLessThanOrEqual(at + 1e6);
    expect(at - a1.end!).toBeLessThan(2e9);
    // The origin is stored with the results: the log read again with it is what the checkers saw.
    expect(results.intervalOriginNs).toMatch(/^\d+$/);
    const again = readIntervalLog(join(runDir, "intervals.jsonl"), {
      originNs: BigInt(results.intervalOriginNs!),
    });
    expect(again).toEqual(seen);
  }, 60_000);
});
