/**
 * The built-in lock workload end to end on a real 1-member etcd: demo-lock
 * wrappers in a loop, actor pauses and lease revokes; the interval log and
 * the actor exits reach the history and the checkers; tokens increase in
 * order of acquisition; the verdict is not claimed without the interval
 * checkers; nothing the run started survives it. Uses dist/ (`npm run
 * build` first) for the wrappers, as a user's run does.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ActorExitValue } from "../../src/actors/ops.js";
import { runTest } from "../../src/runner/run-test.js";
import lockTest, { lockSettings } from "../../src/tests/lock.js";
import { isAlive } from "../helpers/processes.js";
import { runOptions } from "../runner/helpers.js";

describe("the lock workload", () => {
  it("records holds and exits under actor pauses and lease revokes, and the safe wrapper is judged valid", async () => {
    const options = runOptions({
      seed: 11,
      // Aimed faults wait for an acquisition (up to a 10 s hold each): 12 s left the last kind dealt unrun.
      timeLimitMs: 30_000,
      nodes: 1,
      nemesis: ["actor-pause", "lease-revoke", "actor-kill"],
      nemesisIntervalMs: 1_500,
      extra: { target: "etcd", workload: "lock", lockTool: "demo", actors: "3" },
    });
    const outcome = await runTest({ definition: lockTest, options, writeReports: false, log: () => {} });
    const { results, history, runDir } = outcome;
    expect(results.checkers["lock-evidence"]?.valid).toBe(true);
    // The safe wrapper keeps the promise: every overlap is inside a loss event's window, and it closes.
    expect(results.checkers["bounded-concurrency"]?.valid).toBe(true);
    expect(results.checkers["fencing-tokens"]?.valid).toBe(true);
    const evidence = results.checkers["lock-evidence"] as unknown as { intervals: number; holders: string[] };
    expect(evidence.intervals).toBeGreaterThanOrEqual(2);
    const exits = history.filter((op) => op.f === "actor-exit" && op.type === "info");
    expect(exits.length).toBeGreaterThan(0);
    const faults = history.filter((op) => op.process === "nemesis" && op.type === "ok").map((op) => op.f);
    expect(faults).toContain("lease-revoke");
    // Tokens strictly increase in order of acquisition (one slot: a lock).
    const starts = readFileSync(`${runDir}/intervals.jsonl`, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { start: string; end?: string; token: number })
      .filter((record) => record.end === undefined)
      .sort((a, b) => (BigInt(a.start) < BigInt(b.start) ? -1 : 1));
    for (let i = 1; i < starts.length; i++) expect(starts[i]!.token).toBeGreaterThan(starts[i - 1]!.token);
    // Every wrapper the run started is gone.
    for (const op of exits) expect(isAlive((op.value as ActorExitValue).pid)).toBe(false);
  }, 120_000);

  it("refuses settings it cannot honour, naming them", () => {
    const base = runOptions({ extra: { target: "etcd", workload: "lock" } });
    expect(() => lockSettings({ ...base, extra: { ...base.extra, lockTool: "etcdctl", max: "2" } })).toThrow(
      /etcdctl holds a lock \(max 1\)/,
    );
    expect(() => lockSettings({ ...base, extra: { ...base.extra, target: "redis" } })).toThrow(
      /runs against etcd/,
    );
    expect(() => lockSettings({ ...base, extra: { ...base.extra, actors: "0" } })).toThrow(
      /actors must be a positive/,
    );
    expect(lockSettings({ ...base, extra: { ...base.extra, demoMode: "unsafe", max: "2" } })).toEqual({
      tool: "demo",
      actors: 4,
      max: 2,
      unsafe: true,
    });
  });
});
