import { describe, expect, it } from "vitest";
import {
  boundedConcurrency,
  type ConcurrencyViolation,
  checkBoundedConcurrency,
  type LossEventOverlap,
  lossEvents,
} from "../../../src/checker/intervals/index.js";
import { type Fault, type Hold, holds, nemesisHistory } from "./helpers.js";

const check = (
  list: Hold[],
  faults: Fault[],
  options: { limit?: number; lossWindowMs?: number; openEnd?: "kill" | "run-end" } = {},
  endMs?: number,
) =>
  checkBoundedConcurrency(holds(list), nemesisHistory(faults, endMs), {
    limit: options.limit ?? 1,
    lossWindowMs: options.lossWindowMs ?? 2,
    ...(options.openEnd ? { openEnd: options.openEnd } : {}),
  });

const violations = (result: ReturnType<typeof check>) => result.violations as ConcurrencyViolation[];
const measured = (result: ReturnType<typeof check>) => result.lossEvents as LossEventOverlap[];

describe("boundedConcurrency", () => {
  it("is unknown without intervals: valid needs evidence", async () => {
    const checker = boundedConcurrency({ limit: 1, lossWindowMs: 10 });
    const result = await checker.check([], {});
    expect(result.valid).toBe("unknown");
    expect(result.explanation).toMatch(/no interval log/);
  });

  it("refuses a limit that is not a positive integer", () => {
    expect(() => boundedConcurrency({ limit: 0, lossWindowMs: 10 })).toThrow(
      /limit is 0; expected a positive integer/,
    );
    expect(() => boundedConcurrency({ limit: 1, lossWindowMs: -1 })).toThrow(/lossWindowMs is -1/);
  });

  it("a handover at one instant is not an overlap: intervals are [start, end)", () => {
    const result = check(
      [
        ["a1", 0, 10],
        ["a2", 10, 20],
        ["a3", 20, 20],
        ["a1", 20, 30],
      ],
      [],
    );
    expect(result.valid).toBe(true);
    expect(result.holdersMax).toBe(1);
    expect(result.overlapCount).toBe(0);
  });

  it("two holders with no loss event is a violation, in words with holders, tokens and times", () => {
    const result = check(
      [
        ["a1", 0, 10, { token: 7 }],
        ["a2", 4, 12, { token: 9 }],
      ],
      [],
    );
    expect(result.valid).toBe(false);
    const [violation] = violations(result);
    expect(violation).toMatchObject({ startMs: 4, endMs: 10, durationMs: 6, holdersMax: 2 });
    expect(violation?.intervals.map((i) => [i.holder, i.token, i.excused])).toEqual([
      ["a1", 7, false],
      ["a2", 9, false],
    ]);
    expect(result.explanation).toContain("from 0.004 s to 0.010 s (6.000 ms) 2 held where at most 1 may");
    expect(result.explanation).toContain("a1 (pid 1000, token 7) from 0.000 s to 0.010 s");
    expect(result.explanation).toContain("no loss event came before it");
  });

  it("an overlap after a pause that ends exactly at the window's end is valid", () => {
    // a1 paused at 5, resumed at 8; window 2 ms → ends at 10. a2 acquires at 6; a1's child ends at 10.
    const result = check(
      [
        ["a1", 0, 10],
        ["a2", 6, 20],
      ],
      [
        [5, "actor-pause", { actors: ["a1"] }],
        [8, "actor-resume", { actors: ["a1"] }],
      ],
    );
    expect(result.valid).toBe(true);
    expect(result.explanation).toContain(
      "the longest lasted 2 ms after its heal (actor-pause of a1 at 0.005 s, op 0)",
    );
    expect(measured(result)).toEqual([
      {
        f: "actor-pause",
        kind: "pause",
        holder: "a1",
        index: 0,
        startMs: 5,
        healedAtMs: 8,
        windowEndMs: 10,
        extraHoldersMax: 1,
        overlapMs: 4,
        overlapEndMs: 10,
        overlapAfterHealMs: 2,
        closed: true,
      },
    ]);
  });

  it("one nanosecond past the window's end is a violation naming the loss event", () => {
    const list: Hold[] = [
      ["a1", 0, 10.000001],
      ["a2", 6, 20],
    ];
    const result = check(list, [
      [5, "actor-pause", { actors: ["a1"] }],
      [8, "actor-resume", { actors: ["a1"] }],
    ]);
    expect(result.valid).toBe(false);
    expect(violations(result)[0]).toMatchObject({ startMs: 10, endMs: 10.000001 });
    expect(violations(result)[0]?.intervals.every((i) => !i.excused)).toBe(true);
    expect(result.explanation).toContain(
      "the last loss event before it: actor-pause of a1 at 0.005 s (op 0), healed at 0.008 s, its window ended at 0.010 s",
    );
    expect(measured(result)[0]).toMatchObject({ closed: false, overlapEndMs: 10.000001 });
    expect(result.explanation).toContain(
      "the overlap after it lasted 2.000001 ms after the heal (until 0.010 s), against a window of 2 ms",
    );
  });

  it("a window that never closes: a zombie hold that lasts to the end of the run", () => {
    // a1 never writes its end record and nobody killed it: it holds to the end of the run (50 ms).
    const result = check(
      [
        ["a1", 0, undefined],
        ["a2", 6, 20],
      ],
      [
        [5, "actor-pause", { actors: ["a1"] }],
        [8, "actor-resume", { actors: ["a1"] }],
      ],
      {},
      50,
    );
    expect(result.valid).toBe(false);
    expect(result.openIntervalCount).toBe(1);
    expect(violations(result)[0]).toMatchObject({ startMs: 10, endMs: 20 });
    expect(violations(result)[0]?.intervals[0]).toMatchObject({
      holder: "a1",
      endedBy: "run-end",
      endMs: 50,
    });
    expect(result.explanation).toContain(
      "to the end of the run at 0.050 s (no end record, no kill of its actor)",
    );
  });

  it("an open interval ends at its actor's kill; with openEnd run-end it lasts to the end", () => {
    const list: Hold[] = [
      ["a1", 0, undefined],
      ["a2", 6, 20],
    ];
    const faults: Fault[] = [[5, "actor-kill", { actors: ["a1"] }]];
    const killed = check(list, faults, {}, 50);
    expect(killed.valid).toBe(true);
    expect(killed.overlapCount).toBe(0);
    const strict = check(list, faults, { openEnd: "run-end" }, 50);
    expect(strict.valid).toBe(false);
    expect(violations(strict)[0]).toMatchObject({ startMs: 7, endMs: 20 });
  });

  it("an open interval ends no later than its holder's next hold (one child at a time)", () => {
    const result = check(
      [
        ["a1", 0, undefined],
        ["a2", 6, 9],
        ["a1", 9, 12],
      ],
      [],
      {},
      50,
    );
    expect(result.valid).toBe(false);
    expect(violations(result)[0]?.intervals[0]).toMatchObject({
      holder: "a1",
      endedBy: "next-hold",
      endMs: 9,
    });
    expect(result.explanation).toContain("to 0.009 s (no end record; its holder's next hold began then)");
    expect(violations(result).map((v) => [v.startMs, v.endMs])).toEqual([[6, 9]]);
  });

  it("an open interval ends at its actor's recorded exit", () => {
    const history = [
      ...nemesisHistory([]),
      {
        index: 0,
        time: 5_000_000,
        type: "ok" as const,
        process: 3,
        f: "actor-exit",
        value: { actor: "a1", code: 70 },
      },
    ];
    const result = checkBoundedConcurrency(
      holds([
        ["a1", 0, undefined],
        ["a2", 6, 20],
      ]),
      history,
      { limit: 1, lossWindowMs: 0 },
    );
    expect(result.valid).toBe(true);
  });

  it("nested loss events: a revoke inside a pause; the outer window governs", () => {
    const result = check(
      [
        ["a1", 0, 21],
        ["a2", 8, 30],
      ],
      [
        [5, "actor-pause", { actors: ["a1"] }],
        [7, "lease-revoke", { actors: ["a1"] }],
        [20, "actor-resume", { actors: ["a1"] }],
      ],
    );
    expect(result.valid).toBe(true);
    expect(measured(result).map((m) => [m.f, m.windowEndMs, m.closed])).toEqual([
      ["actor-pause", 22, true],
      ["lease-revoke", 9, false],
    ]);
  });

  it("overlapping loss windows join; a gap between them is not excused", () => {
    const faults: Fault[] = [
      [5, "actor-pause", { actors: ["a1"] }],
      [8, "actor-resume", { actors: ["a1"] }],
      [9, "actor-pause", { actors: ["a1"] }],
      [12, "actor-resume", { actors: ["a1"] }],
    ];
    expect(
      check(
        [
          ["a1", 0, 13],
          ["a2", 6, 30],
        ],
        faults,
      ).valid,
    ).toBe(true);
    const gap: Fault[] = [
      ...faults.slice(0, 2),
      [11, "actor-pause", { actors: ["a1"] }],
      [12, "actor-resume", { actors: ["a1"] }],
    ];
    const result = check(
      [
        ["a1", 0, 13],
        ["a2", 6, 30],
      ],
      gap,
    );
    expect(result.valid).toBe(false);
    expect(violations(result).map((v) => [v.startMs, v.endMs])).toEqual([[10, 11]]);
  });

  it("a kill of an etcd member excuses nothing, and the result says so", () => {
    const result = check(
      [
        ["a1", 0, 10, { token: 57 }],
        ["a2", 6, 20, { token: 57 }],
        ["a3", 7, 9, { token: 57 }],
      ],
      [
        [5, "kill", ["n2"]],
        [5.5, "start", "all"],
      ],
    );
    expect(result.valid).toBe(false);
    expect(result.lossEventCount).toBe(0);
    expect(violations(result).map((v) => [v.startMs, v.endMs, v.holdersMax])).toEqual([[6, 10, 3]]);
    expect(result.explanation).toContain("3 held where at most 1 may, all with token 57");
    expect(result.explanation).toContain(
      'the last fault before it: kill ["n2"] at 0.005 s (op 0), which is not a loss event',
    );
  });

  it("names the node a fault hit, from its completion, not the target it was given", () => {
    const history = nemesisHistory([
      [5, "kill", "primary"],
      [5.5, "start", "all"],
    ]);
    // The process nemesis completes a "primary" kill with the node it resolved to.
    history[1] = { ...history[1]!, value: ["n3"] };
    const result = checkBoundedConcurrency(
      holds([
        ["a1", 0, 10, { token: 57 }],
        ["a2", 6, 20, { token: 58 }],
      ]),
      history,
      { limit: 1, lossWindowMs: 2 },
    );
    expect(result.valid).toBe(false);
    expect(result.explanation).toContain(
      'the last fault before it: kill ["n3"] (asked "primary") at 0.005 s (op 0), which is not a loss event',
    );
  });

  it("an actor's exit is not named as the fault: the member kill before it is", () => {
    // Seen in a run: etcd's leader killed, then a waiter's wrapper exited 70, then the overlap.
    const result = check(
      [
        ["a1", 0, 10, { token: 42 }],
        ["a2", 6, 20, { token: 51 }],
      ],
      [
        [3, "kill", ["n2"]],
        [4, "actor-exit", { actor: "a3", pid: 77, code: 70, signal: null, cause: "exited" }, 4, "info"],
      ],
    );
    expect(result.valid).toBe(false);
    expect(result.explanation).toContain(
      'the last fault before it: kill ["n2"] at 0.003 s (op 0), which is not a loss event',
    );
    expect(result.explanation).not.toContain("the last fault before it: actor-exit");
  });

  it("a loss event excuses only the holder it hit", () => {
    const result = check(
      [
        ["a1", 0, 10],
        ["a2", 6, 20],
      ],
      [
        [5, "actor-pause", { actors: ["a3"] }],
        [8, "actor-resume", { actors: ["a3"] }],
      ],
    );
    expect(result.valid).toBe(false);
  });

  it("a hold that began after its actor was killed is a fresh hold, not a zombie", () => {
    const result = check(
      [
        ["a2", 0, 20],
        ["a1", 6, 8],
      ],
      [[5, "actor-kill", { actors: ["a1"] }]],
    );
    expect(result.valid).toBe(false);
  });

  it("a partition that names only etcd members is no loss event; one that names a holder is", () => {
    const list: Hold[] = [
      ["a1", 0, 10],
      ["a2", 6, 20],
    ];
    const members = check(list, [
      [5, "start-partition", { grudge: { n1: ["n2", "n3"] } }],
      [8, "stop-partition", null],
    ]);
    expect(members.valid).toBe(false);
    const holder = check(list, [
      [5, "start-partition", { grudge: { a1: ["n1", "n2", "n3"] } }],
      [8, "heal-network", null],
    ]);
    expect(holder.valid).toBe(true);
    expect(measured(holder)[0]).toMatchObject({ kind: "partition", healedAtMs: 8 });
  });

  it("a loss event never healed makes an overlap in it unknown, not valid", () => {
    const result = check(
      [
        ["a1", 0, 10],
        ["a2", 6, 20],
      ],
      [[5, "actor-pause", { actors: ["a1"] }]],
    );
    expect(result.valid).toBe("unknown");
    expect(result.explanation).toMatch(/never healed/);
  });

  it("a semaphore: limit 2 allows two, not three; offices are judged apart", () => {
    expect(
      check(
        [
          ["a1", 0, 10],
          ["a2", 1, 10],
          ["a3", 10, 12],
        ],
        [],
        { limit: 2 },
      ).valid,
    ).toBe(true);
    const three = check(
      [
        ["a1", 0, 10],
        ["a2", 1, 10],
        ["a3", 9, 12],
      ],
      [],
      { limit: 2 },
    );
    expect(three.valid).toBe(false);
    expect(violations(three).map((v) => [v.startMs, v.endMs, v.holdersMax])).toEqual([[9, 10, 3]]);
    const offices = check(
      [
        ["a1", 0, 10, { office: "x" }],
        ["a2", 1, 10, { office: "y" }],
      ],
      [],
    );
    expect(offices.valid).toBe(true);
  });

  it("equal timestamps everywhere: starts and ends at one instant are applied together", () => {
    const result = check(
      [
        ["a1", 0, 5],
        ["a2", 5, 10],
        ["a3", 5, 5],
        ["a4", 10, 15],
      ],
      [[5, "actor-kill", { actors: ["a1"] }]],
    );
    expect(result.valid).toBe(true);
    expect(result.holdersMax).toBe(1);
  });
});

describe("boundedConcurrency on the calibrated demo shapes", () => {
  // TTL 2 s, kill-after 0.5 s: the loss window is 2.5 s. a1 is paused for 3 s, past its TTL;
  // a2 acquires 2 s into the pause. The child holds 3 × TTL = 6 s unless its wrapper stops it.
  const faults: Fault[] = [
    [1000, "actor-pause", { actors: ["a1"] }],
    [4000, "actor-resume", { actors: ["a1"] }],
  ];
  it("safe: the resumed wrapper stops its child within the window", () => {
    const result = check(
      [
        ["a1", 0, 4600, { token: 10 }],
        ["a2", 3000, 9000, { token: 12 }],
      ],
      faults,
      { lossWindowMs: 2500 },
    );
    expect(result.valid).toBe(true);
    expect(measured(result)[0]).toMatchObject({
      extraHoldersMax: 1,
      overlapMs: 1600,
      overlapAfterHealMs: 600,
      closed: true,
    });
  });
  it("unsafe: the child keeps running; the violation names the pause, both holders and how long the overlap lasted", () => {
    const result = check(
      [
        ["a1", 500, 6500 + 1500, { token: 10 }],
        ["a2", 3000, 9000, { token: 12 }],
      ],
      faults,
      { lossWindowMs: 2500 },
    );
    expect(result.valid).toBe(false);
    expect(violations(result).map((v) => [v.startMs, v.endMs, v.durationMs])).toEqual([[6500, 8000, 1500]]);
    expect(result.explanation).toContain("from 6.500 s to 8.000 s (1500.000 ms) 2 held where at most 1 may");
    expect(result.explanation).toContain("a1 (pid 1000, token 10) from 0.500 s to 8.000 s");
    expect(result.explanation).toContain("a2 (pid 1001, token 12) from 3.000 s to 9.000 s");
    expect(result.explanation).toContain(
      "the last loss event before it: actor-pause of a1 at 1.000 s (op 0), healed at 4.000 s, its window ended at 6.500 s; the overlap after it lasted 4000 ms after the heal (until 8.000 s), against a window of 2500 ms",
    );
  });
});

describe("boundedConcurrency at scale", () => {
  it("excuses thousands of zombie holds, one per pause, and catches the one that outlives its window", () => {
    // Every 10 ms a holder is paused 1 ms into its hold for 2 ms; the next acquires during the pause;
    // the paused child stops 3 ms after its resume, inside a 5 ms window.
    const list: Hold[] = [];
    const faults: Fault[] = [];
    for (let i = 0; i < 3000; i++) {
      const at = i * 10;
      const holder = `a${i % 4}`;
      list.push([holder, at, at + 6 + (i === 2999 ? 3 : 0)]);
      faults.push(
        [at + 1, "actor-pause", { actors: [holder] }],
        [at + 3, "actor-resume", { actors: [holder] }],
      );
      list.push([`b${i % 3}`, at + 2, at + 10]);
    }
    const result = check(list, faults, { lossWindowMs: 5 });
    expect(result.lossEventCount).toBe(3000);
    expect(result.overlapCount).toBe(3000);
    expect(result.valid).toBe(false);
    expect(violations(result).map((v) => [v.startMs, v.endMs])).toEqual([[29998, 29999]]);
  });
});

describe("boundedConcurrency when no heal matches (a nemesis whose resume is named differently)", () => {
  it("every pause stays open: an overlap in one is unknown, and the check stays linear in the log", () => {
    const list: Hold[] = [];
    const faults: Fault[] = [];
    for (let i = 0; i < 20_000; i++) {
      list.push(["a1", i * 10, i * 10 + 6]);
      if (i % 4 === 0)
        faults.push(
          [i * 10 + 1, "actor-pause", { actors: ["a1"] }],
          [i * 10 + 2, "thaw", { actors: ["a1"] }],
        );
    }
    list.push(["a2", 5, 8]);
    const result = check(list, faults);
    expect(result.lossEventCount).toBe(5000);
    expect(result.valid).toBe("unknown");
    expect(result.explanation).toContain("never healed");
  });
});

describe("lossEvents", () => {
  const holders = ["a1", "a2", "a3"];
  it("one event per holder a fault names; failed faults are none; heals close by name", () => {
    const history = nemesisHistory([
      [1, "actor-pause", { actors: ["a1", "a2"] }],
      [2, "actor-kill", ["actor:a3"], 3],
      [4, "lease-revoke", { actors: ["a1"] }, 4, "fail"],
      [5, "actor-resume", { actors: ["a2"] }],
      [6, "pause", ["n1"]],
      [7, "actor-resume", "all"],
    ]);
    expect(
      lossEvents(history, { holders }).map((e) => [e.f, e.holder, e.start / 1e6, (e.healedAt ?? -1) / 1e6]),
    ).toEqual([
      ["actor-pause", "a1", 1, 7],
      ["actor-pause", "a2", 1, 5],
      ["actor-kill", "a3", 2, 3],
    ]);
  });

  it("takes its table of names from the caller", () => {
    const history = nemesisHistory([
      [1, "freeze", { who: "a1" }],
      [2, "thaw", null],
    ]);
    expect(lossEvents(history, { holders }).length).toBe(0);
    const events = lossEvents(history, { holders, rules: { freeze: { kind: "pause", heals: ["thaw"] } } });
    expect(events.map((e) => [e.kind, e.holder, e.healIndex])).toEqual([["pause", "a1", 3]]);
  });
});

describe("boundedConcurrency: a slot claimed between two revokes of one lease-revoke", () => {
  // The shape `crucible run --workload lock --max 2 --actors 5 --seed 5` produced: `lease-revoke
  // {leases: "all"}` revokes five leases one after another (5.029–5.053 s); waiter a2 claims slot 0
  // (token 21) after a1's lease went (revision 20) and before its own did (23); its child records its
  // start at 5.109 s, after the heal, and overlaps the legitimate holds of a5 and a4.
  const revokeAll: Fault = [
    5_029,
    "lease-revoke",
    {
      leases: ["L1", "L3", "L2"],
      actors: ["a1", "a2", "a3"],
      keys: [
        { key: "p/s/0", lease: "L1", holder: "a1", createRevision: "10" },
        { key: "p/s/1", lease: "L3", holder: "a3", createRevision: "12" },
        { key: "p/q/L2", lease: "L2", holder: "a2", createRevision: "11" },
      ],
      revokedAt: { L1: 20, L3: 22, L2: 23 },
    },
    5_053,
  ];
  const shape = (a2: Partial<{ token: number; endMs: number }> = {}): Hold[] => [
    ["a1", 1_000, 5_700, { token: 10, slot: 0 }],
    ["a3", 1_500, 5_800, { token: 12, slot: 1 }],
    ["a2", 5_109, a2.endMs ?? 6_000, { token: a2.token ?? 21, slot: 0 }],
    ["a5", 5_300, 20_000, { token: 25, slot: 0 }],
    ["a4", 5_400, 20_000, { token: 26, slot: 1 }],
  ];
  const run = (list: Hold[]) => check(list, [revokeAll], { limit: 2, lossWindowMs: 3_000 }, 21_000);

  it("the loss event of the waiter carries its lease's revoke revision as the token bound", () => {
    const events = lossEvents(nemesisHistory([revokeAll]), { holders: ["a1", "a2", "a3", "a4", "a5"] });
    expect(Object.fromEntries(events.map((e) => [e.holder, e.tokensBelow]))).toEqual({
      a1: 20,
      a2: 23,
      a3: 22,
    });
  });

  it("a hold whose token is below its lease's revoke revision is excused though it began after the heal", () => {
    const result = run(shape());
    expect(result.valid, result.explanation).toBe(true);
    // The overlap happened and is measured against the waiter's window, not ignored.
    expect(result.holdersMax).toBe(5);
    const a2 = measured(result).find((event) => event.holder === "a2");
    expect(a2?.extraHoldersMax).toBeGreaterThan(0);
    expect(a2?.closed).toBe(true);
  });

  it("a token at or above the revoke revision was claimed after the revoke: counted, a violation", () => {
    const result = run(shape({ token: 23 }));
    expect(result.valid).toBe(false);
    const [violation] = violations(result);
    expect(violation?.intervals.map((i) => i.holder)).toEqual(expect.arrayContaining(["a2", "a4", "a5"]));
    expect(violation?.intervals.find((i) => i.holder === "a2")?.excused).toBe(false);
  });

  it("the excuse ends with the window: the lease-less hold running past heal + window is a violation", () => {
    // Heal at 5,053 ms + 3,000 ms window = 8,053 ms; a2 holds on until 9,000 ms.
    const result = run(shape({ endMs: 9_000 }));
    expect(result.valid).toBe(false);
    const [violation] = violations(result);
    expect(violation?.startMs).toBeCloseTo(8_053, 6);
    expect(violation?.endMs).toBeCloseTo(9_000, 6);
  });

  it("without the revisions (an older history) the waiter's hold is counted, as before", () => {
    const [at, f, value, done] = revokeAll;
    const { revokedAt: _dropped, ...older } = value as Record<string, unknown>;
    const result = check(shape(), [[at, f, older, done]], { limit: 2, lossWindowMs: 3_000 }, 21_000);
    expect(result.valid).toBe(false);
  });
});

describe("boundedConcurrency: a wrapper paused between its claim and its child's first record", () => {
  // b claims the lock (token 25) and is paused at 6 s before its child writes its start record; c takes
  // over when b's lease expires (token 31); b is resumed at 11.1 s, its child records its start at
  // 11.2 s and is stopped at 11.6 s. The pause's completion says the revision once it took effect (30).
  const pause = (value: Record<string, unknown>): Fault[] => [
    [6_000, "actor-pause", value, 6_010],
    [11_100, "actor-resume", { actors: ["b"] }],
  ];
  const shape = (bToken: number, bEndMs = 11_600): Hold[] => [
    ["b", 11_200, bEndMs, { token: bToken, slot: 0 }],
    ["c", 8_000, 18_000, { token: 31, slot: 0 }],
  ];
  const run = (list: Hold[], faults: Fault[]) =>
    check(list, faults, { limit: 1, lossWindowMs: 3_000 }, 20_000);

  it("a token at or below the revision at the pause was claimed before it: excused though recorded after the resume", () => {
    const events = lossEvents(nemesisHistory(pause({ actors: ["b"], revision: 30 })), {
      holders: ["b", "c"],
    });
    expect(events.map((e) => [e.holder, e.tokensBelow])).toEqual([["b", 31]]);
    expect(run(shape(25), pause({ actors: ["b"], revision: 30 })).valid).toBe(true);
    expect(run(shape(30), pause({ actors: ["b"], revision: 30 })).valid).toBe(true);
  });

  it("a token above it is a claim after the resume: counted; and the excuse ends with the window", () => {
    expect(run(shape(32), pause({ actors: ["b"], revision: 30 })).valid).toBe(false);
    // Resume at 11.1 s + 3 s window = 14.1 s; b's child holds on to 15 s.
    const late = run(shape(25, 15_000), pause({ actors: ["b"], revision: 30 }));
    expect(late.valid).toBe(false);
    expect(violations(late)[0]?.startMs).toBeCloseTo(14_100, 6);
  });

  it("without the revision (an older history) the late record counts, as before", () => {
    expect(run(shape(25), pause({ actors: ["b"] })).valid).toBe(false);
  });
});
