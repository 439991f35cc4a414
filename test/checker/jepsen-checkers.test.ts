import { describe, expect, it } from "vitest";
import { bank } from "../../src/checker/bank.js";
import { counterChecker } from "../../src/checker/counter.js";
import { longFork } from "../../src/checker/long-fork.js";
import { setFull } from "../../src/checker/set-full.js";
import type { Op, OpType } from "../../src/history/op.js";

/** Build a history from [process, type, f, value] rows; index follows row order, time is 1 ms per row. */
function history(rows: [number, OpType, string, unknown][]): Op[] {
  return rows.map(([process, type, f, value], index) => ({
    index,
    time: index * 1_000_000,
    type,
    process,
    f,
    value,
  }));
}

const read = (
  process: number,
  balances: Record<string, number | null>,
): [number, OpType, string, unknown][] => [
  [process, "invoke", "read", null],
  [process, "ok", "read", balances],
];

describe("bank", () => {
  const transfer: [number, OpType, string, unknown][] = [
    [1, "invoke", "transfer", { from: 0, to: 1, amount: 5 }],
    [1, "ok", "transfer", { from: 0, to: 1, amount: 5 }],
  ];

  it("is valid when every read sums to the total and no balance is negative", async () => {
    const h = history([...read(0, { 0: 10, 1: 10 }), ...transfer, ...read(0, { 0: 5, 1: 15 })]);
    const result = await bank({ totalAmount: 20, accounts: [0, 1] }).check(h, {});
    expect(result.valid).toBe(true);
    expect(result.readCount).toBe(2);
    expect(result.transferCount).toBe(1);
  });

  it("finds a read whose total differs (a lost update)", async () => {
    const h = history([...read(0, { 0: 10, 1: 10 }), ...transfer, ...read(0, { 0: 5, 1: 10 })]);
    const result = await bank({ totalAmount: 20 }).check(h, {});
    expect(result.valid).toBe(false);
    expect(result.errorCounts).toEqual({ "wrong-total": 1 });
    expect(result.explanation).toContain("op 5: wrong-total, balances sum to 15, expected 20");
  });

  it("takes the total from the first read when not given, and says so", async () => {
    const h = history([...read(0, { 0: 10, 1: 10 }), ...read(0, { 0: 11, 1: 10 })]);
    const result = await bank().check(h, {});
    expect(result.valid).toBe(false);
    expect(result.totalInferred).toBe(true);
    expect(result.explanation).toContain("total 20 taken from the first read");
  });

  it("refuses negative balances unless allowed", async () => {
    const h = history(read(0, { 0: -5, 1: 25 }));
    expect((await bank({ totalAmount: 20 }).check(h, {})).valid).toBe(false);
    expect((await bank({ totalAmount: 20, negativeBalances: true }).check(h, {})).valid).toBe(true);
  });

  it("finds unexpected accounts, a wrong number of accounts and nil balances", async () => {
    const h = history([...read(0, { 0: 10, 7: 10 }), ...read(0, { 0: 20 }), ...read(0, { 0: null, 1: 20 })]);
    const result = await bank({ totalAmount: 20, accounts: [0, 1] }).check(h, {});
    expect(result.valid).toBe(false);
    expect(result.errorCounts).toMatchObject({ "unexpected-key": 1, "wrong-n": 1, "nil-balance": 1 });
  });

  it("is unknown without an ok read, and for a read that is no map", async () => {
    expect((await bank().check(history(transfer), {})).valid).toBe("unknown");
    const h = history([
      [0, "invoke", "read", null],
      [0, "ok", "read", [10, 10]],
    ]);
    expect((await bank().check(h, {})).valid).toBe("unknown");
  });
});

describe("counter (Jepsen's semantics)", () => {
  it("a failed add counts toward no bound, even while it is in flight", async () => {
    const h = history([
      [0, "invoke", "add", 5],
      [1, "invoke", "read", null],
      [1, "ok", "read", 5], // only possible if the add happened, and it failed
      [0, "fail", "add", 5],
    ]);
    const result = await counterChecker().check(h, {});
    expect(result.valid).toBe(false);
    expect(result.errors).toEqual([{ opIndex: 2, value: 5, lower: 0, upper: 0 }]);
  });

  it("an add with unknown outcome may or may not be in a later read", async () => {
    const h = history([
      [0, "invoke", "add", 5],
      [0, "info", "add", 5],
      [1, "invoke", "read", null],
      [1, "ok", "read", 5],
      [1, "invoke", "read", null],
      [1, "ok", "read", 0],
    ]);
    expect((await counterChecker().check(h, {})).valid).toBe(true);
  });

  it("negative deltas lower the lower bound at invocation and the upper bound at acknowledgement", async () => {
    const h = history([
      [0, "invoke", "add", 10],
      [0, "ok", "add", 10],
      [0, "invoke", "add", -3],
      [1, "invoke", "read", null],
      [1, "ok", "read", 7],
      [0, "ok", "add", -3],
      [1, "invoke", "read", null],
      [1, "ok", "read", 10], // the decrement was acknowledged before this read began
    ]);
    const result = await counterChecker().check(h, {});
    expect(result.valid).toBe(false);
    expect(result.errorCount).toBe(1);
    expect(result.errors).toEqual([{ opIndex: 7, value: 10, lower: 7, upper: 7 }]);
  });

  it("is unknown with no successful read or a read that is no number", async () => {
    expect((await counterChecker().check(history([[0, "invoke", "add", 1]]), {})).valid).toBe("unknown");
    const h = history([
      [0, "invoke", "read", null],
      [0, "ok", "read", "3"],
    ]);
    expect((await counterChecker().check(h, {})).valid).toBe("unknown");
  });
});

describe("set-full", () => {
  const add = (
    process: number,
    element: number,
    type: OpType = "ok",
  ): [number, OpType, string, unknown][] => [
    [process, "invoke", "add", element],
    [process, type, "add", element],
  ];
  const readSet = (process: number, elements: number[]): [number, OpType, string, unknown][] => [
    [process, "invoke", "read", null],
    [process, "ok", "read", elements],
  ];

  it("stable: every read after the add sees it", async () => {
    const h = history([...add(0, 1), ...readSet(1, [1]), ...readSet(1, [1])]);
    const result = await setFull().check(h, {});
    expect(result.valid).toBe(true);
    expect(result.stableCount).toBe(1);
    expect(result.stableLatencyMs).toEqual({ p50: 0, p90: 0, p99: 0, max: 0 });
  });

  it("lost: acknowledged, seen, then missing from every later read", async () => {
    const h = history([...add(0, 1), ...readSet(1, [1]), ...readSet(1, []), ...readSet(1, [])]);
    const result = await setFull().check(h, {});
    expect(result.valid).toBe(false);
    expect(result.lost).toEqual([1]);
    expect(result.explanation).toContain("1 lost");
  });

  it("lost: acknowledged and never seen by a read that began after", async () => {
    const h = history([...add(0, 1), ...readSet(1, [])]);
    expect((await setFull().check(h, {})).lostCount).toBe(1);
  });

  it("stale reads are fine for a weak set, an anomaly when linearizable, and timed", async () => {
    const h = history([...add(0, 1), ...readSet(1, []), ...readSet(1, [1])]);
    const weak = await setFull().check(h, {});
    expect(weak.valid).toBe(true);
    expect(weak.staleCount).toBe(1);
    // Known at 1 ms (add ok); the absent read began at 2 ms.
    expect(weak.stableLatencyMs).toMatchObject({ max: 1 });
    expect(weak.worstStale).toEqual([{ element: 1, staleReads: 1, latencyMs: 1 }]);
    const strict = await setFull({ linearizable: true }).check(h, {});
    expect(strict.valid).toBe(false);
    expect(strict.explanation).toContain("stale");
  });

  it("a read concurrent with the add may miss it; an add never acknowledged and never seen is never read", async () => {
    const h = history([
      [0, "invoke", "add", 1],
      [1, "invoke", "read", null],
      [1, "ok", "read", []],
      [0, "ok", "add", 1],
      [0, "invoke", "add", 2],
      [0, "info", "add", 2],
      ...readSet(1, [1]),
    ]);
    const result = await setFull().check(h, {});
    expect(result.valid).toBe(true);
    expect(result.stableCount).toBe(1);
    expect(result.staleCount).toBe(0);
    expect(result.neverRead).toEqual([2]);
  });

  it("duplicates and unexpected elements are anomalies", async () => {
    const h = history([...add(0, 1), ...readSet(1, [1, 1, 9])]);
    const result = await setFull().check(h, {});
    expect(result.valid).toBe(false);
    expect(result.duplicated).toEqual([1]);
    expect(result.unexpected).toEqual([9]);
  });

  it("is unknown when nothing was seen to persist", async () => {
    const h = history([...readSet(1, []), ...add(0, 1, "info")]);
    const result = await setFull().check(h, {});
    expect(result.valid).toBe("unknown");
    expect(result.explanation).toContain("never read");
  });
});

describe("long-fork", () => {
  const insert = (process: number, key: number): [number, OpType, string, unknown][] => [
    [process, "invoke", "txn", [["w", key, 1]]],
    [process, "ok", "txn", [["w", key, 1]]],
  ];
  const readGroup = (
    process: number,
    values: [number, number | null][],
  ): [number, OpType, string, unknown][] => [
    [process, "invoke", "txn", values.map(([k]) => ["r", k, null])],
    [process, "ok", "txn", values.map(([k, v]) => ["r", k, v])],
  ];

  it("is valid when the reads of a group form a chain", async () => {
    const h = history([
      ...insert(0, 0),
      ...readGroup(1, [
        [0, 1],
        [1, null],
      ]),
      ...insert(0, 1),
      ...readGroup(2, [
        [0, 1],
        [1, 1],
      ]),
    ]);
    const result = await longFork({ groupSize: 2 }).check(h, {});
    expect(result.valid).toBe(true);
    expect(result.readCount).toBe(2);
  });

  it("finds two reads that saw the inserts in different orders", async () => {
    const h = history([
      ...insert(0, 0),
      ...insert(3, 1),
      ...readGroup(1, [
        [0, 1],
        [1, null],
      ]),
      ...readGroup(2, [
        [0, null],
        [1, 1],
      ]),
    ]);
    const result = await longFork().check(h, {});
    expect(result.valid).toBe(false);
    expect(result.forkCount).toBe(1);
    expect(result.forks).toEqual([
      expect.objectContaining({
        reads: [5, 7],
        explanation: expect.stringContaining("op 5 saw key 0 but not 1"),
      }),
    ]);
  });

  it("is unknown when a read does not cover a whole group of the given size", async () => {
    const h = history([
      ...insert(0, 0),
      ...readGroup(1, [
        [0, 1],
        [1, null],
      ]),
    ]);
    const result = await longFork({ groupSize: 3 }).check(h, {});
    expect(result.valid).toBe("unknown");
    expect(result.explanation).toContain("group size is 3");
  });

  it("reads of keys no one wrote are counted, not judged (as Jepsen); no multi-key read is unknown", async () => {
    const h = history([
      ...readGroup(1, [
        [0, 1],
        [1, null],
      ]),
    ]);
    const result = await longFork().check(h, {});
    expect(result.valid).toBe(true);
    expect(result.unwrittenReadCount).toBe(1);
    expect((await longFork().check(history(insert(0, 0)), {})).valid).toBe("unknown");
  });

  it("Jepsen's own example: reads in shuffled key order that saw {0, 1} and {0, 2} fork", async () => {
    const h = history([
      [
        0,
        "invoke",
        "read",
        [
          ["r", 0, null],
          ["r", 1, null],
          ["r", 2, null],
        ],
      ],
      [
        1,
        "invoke",
        "read",
        [
          ["r", 2, null],
          ["r", 0, null],
          ["r", 1, null],
        ],
      ],
      [
        0,
        "ok",
        "read",
        [
          ["r", 0, 1],
          ["r", 1, 1],
          ["r", 2, null],
        ],
      ],
      [
        1,
        "ok",
        "read",
        [
          ["r", 2, 1],
          ["r", 0, 1],
          ["r", 1, null],
        ],
      ],
    ]);
    const result = await longFork({ groupSize: 3 }).check(h, {});
    expect(result.valid).toBe(false);
    expect(result.forkCount).toBe(1);
  });

  it("a key written twice, or read with two different values, breaks the premise: unknown", async () => {
    const twice = await longFork().check(history([...insert(0, 0), ...insert(1, 0)]), {});
    expect(twice.valid).toBe("unknown");
    expect(twice.explanation).toContain("written more than once");
    const h = history([
      ...insert(0, 0),
      ...readGroup(1, [
        [0, 1],
        [1, null],
      ]),
      ...readGroup(2, [
        [0, 2],
        [1, null],
      ]),
    ]);
    const distinct = await longFork().check(h, {});
    expect(distinct.valid).toBe("unknown");
    expect(distinct.explanation).toContain("one write per key");
  });

  it("refuses a group size below 2", () => {
    expect(() => longFork({ groupSize: 1 })).toThrow(RangeError);
  });
});
