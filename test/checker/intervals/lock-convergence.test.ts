import { describe, expect, it } from "vitest";
import { checkLockConvergence, lockConvergence } from "../../../src/checker/intervals/index.js";
import type { Op } from "../../../src/history/op.js";
import { holds, nemesisHistory } from "./helpers.js";

const exit = (
  index: number,
  atMs: number,
  actor: string,
  code: number | null,
  signal: string | null = null,
): Op => ({
  index,
  time: atMs * 1e6,
  type: "ok",
  process: 9,
  f: "actor-exit",
  value: { actor, code, signal },
});

describe("lockConvergence", () => {
  const faults = nemesisHistory([
    [5, "actor-pause", { actors: ["a1"] }],
    [10, "actor-resume", { actors: ["a1"] }],
  ]);

  it("is unknown without intervals, and when the holds end before the quiet period does", async () => {
    expect((await lockConvergence({ expectedHolders: 1 }).check([], {})).valid).toBe("unknown");
    const early = checkLockConvergence(holds([["a1", 0, 12]]), faults, { expectedHolders: 1, quietMs: 5 });
    expect(early.valid).toBe("unknown");
    expect(early.explanation).toMatch(/too little after the faults/);
  });

  it("settled after the last heal: one holder, quick handovers, waiters promoted or exited 75", () => {
    const list = holds([
      ["a1", 0, 12],
      ["a2", 12.5, 30],
      ["a3", 30, 40],
    ]);
    const history = [...faults, exit(4, 20, "a4", 75)];
    const result = checkLockConvergence(list, history, { expectedHolders: 1, quietMs: 1, handoverMs: 1 });
    expect(result).toMatchObject({ valid: true, promoted: ["a1", "a2", "a3"], exited: ["a4"], waiting: [] });
  });

  it("an actor ended by the harness at the close of the run (cause close) is waiting, not a bad exit", () => {
    const list = holds([
      ["a1", 0, 12],
      ["a2", 12.5, 40],
    ]);
    const closed: Op = {
      ...exit(4, 39, "a3", null, "SIGKILL"),
      value: { actor: "a3", code: null, signal: "SIGKILL", cause: "close" },
    };
    const history = [...faults, closed];
    const strict = checkLockConvergence(list, history, { expectedHolders: 1, quietMs: 1, handoverMs: 1 });
    expect(strict).toMatchObject({ valid: false, waiting: ["a3"] });
    const looping = checkLockConvergence(list, history, {
      expectedHolders: 1,
      quietMs: 1,
      handoverMs: 1,
      allowWaiting: true,
    });
    expect(looping.valid).toBe(true);
    const own = checkLockConvergence(list, [...faults, exit(4, 39, "a3", null, "SIGKILL")], {
      expectedHolders: 1,
      quietMs: 1,
      handoverMs: 1,
      allowWaiting: true,
    });
    expect(own.valid).toBe(false);
  });

  it("a vacancy longer than a handover after the last heal is a violation, in words", () => {
    const list = holds([
      ["a1", 0, 12],
      ["a2", 20, 30],
    ]);
    const result = checkLockConvergence(list, faults, {
      expectedHolders: 1,
      handoverMs: 1,
      allowWaiting: true,
    });
    expect(result.valid).toBe(false);
    expect(result.explanation).toContain(
      "fewer than 1 held from 0.012 s to 0.020 s (8.000 ms, more than the 1 ms a handover may take) after the last heal (actor-resume, op 3) at 0.010 s",
    );
  });

  it("two holders once settled, a bad exit code and a waiter that never moved are violations", () => {
    const list = holds([
      ["a1", 0, 30],
      ["a2", 15, 20],
    ]);
    const history = [...faults, exit(4, 16, "a3", 1), exit(5, 17, "a4", null, "SIGSEGV")];
    const result = checkLockConvergence(list, history, { expectedHolders: 1, contenders: ["a5"] });
    expect(result.valid).toBe(false);
    expect(result.explanation).toContain("2 held at once after the last heal");
    expect(result.explanation).toContain("a3 exited with code 1 at 0.016 s (op 4), not one of 0, 70, 75");
    expect(result.explanation).toContain("a4 exited with signal SIGSEGV");
    expect(result.explanation).toContain("a5 neither acquired nor exited");
  });

  it("a semaphore settles at N holders", () => {
    const list = holds([
      ["a1", 0, 40],
      ["a2", 11, 25],
      ["a3", 25.2, 40],
    ]);
    expect(checkLockConvergence(list, faults, { expectedHolders: 2, quietMs: 2 }).valid).toBe(true);
    expect(checkLockConvergence(list, faults, { expectedHolders: 3, quietMs: 2, handoverMs: 5 }).valid).toBe(
      false,
    );
    // Never 3 holders, but the stretch judged is shorter than a handover: too little to say.
    const short = checkLockConvergence(list, faults, { expectedHolders: 3, quietMs: 2 });
    expect(short.valid).toBe("unknown");
    expect(short.explanation).toContain("never had 3 holders");
  });
});
