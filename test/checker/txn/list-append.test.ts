/**
 * List-append: one minimal history per anomaly, each with exactly the
 * anomalies it must have (some anomalies always come with a cycle: an
 * intermediate or lost update is also a G-single or G2-item, as in Elle),
 * and one history valid under every model.
 */
import { describe, expect, it } from "vitest";
import { consistencyModelNames, listAppend } from "../../../src/checker/txn/index.js";
import type { Op } from "../../../src/history/op.js";
import { type TxnRow, txnHistory } from "./helpers.js";

const serializable = listAppend({ consistencyModels: ["serializable"] });

/** Rows that overlap in time (all invoked, then all completed): no real-time order among them. */
const concurrent = (rows: TxnRow[]): Op[] => txnHistory(rows, { concurrent: true });

describe("listAppend: one anomaly per history", () => {
  it("G0: two transactions append to x and y in opposite orders (write cycle)", () => {
    const result = serializable.check(
      concurrent([
        [
          1,
          "ok",
          [
            ["append", "x", 1],
            ["append", "y", 2],
          ],
        ],
        [
          2,
          "ok",
          [
            ["append", "x", 2],
            ["append", "y", 1],
          ],
        ],
        [
          3,
          "ok",
          [
            ["r", "x", [1, 2]],
            ["r", "y", [1, 2]],
          ],
        ],
      ]),
    );
    expect(result.valid).toBe(false);
    expect(result.anomalyTypes).toEqual(["G0"]);
    const [cycle] = result.anomalies.G0!;
    expect(cycle).toMatchObject({ cycle: expect.arrayContaining([3, 4]) });
    expect(result.not).toEqual(["read-uncommitted"]);
    expect(result.alsoNot).toContain("serializable");
    expect(cycle!.explanation).toMatch(/appended 2 after .* appended 1 to key "x"/);
  });

  it("G1c: each transaction observed the other's append (circular information flow)", () => {
    const result = serializable.check(
      concurrent([
        [
          1,
          "ok",
          [
            ["append", "x", 1],
            ["r", "y", [1]],
          ],
        ],
        [
          2,
          "ok",
          [
            ["append", "y", 1],
            ["r", "x", [1]],
          ],
        ],
      ]),
    );
    expect(result.anomalyTypes).toEqual(["G1c"]);
    expect(result.not).toEqual(["read-committed"]);
    const steps = (result.anomalies.G1c![0] as { steps: { type: string }[] }).steps;
    expect(steps.map((s) => s.type)).toEqual(["wr", "wr"]);
  });

  it("G-single: a read missed an append whose other half it saw (read skew)", () => {
    const result = serializable.check(
      concurrent([
        [
          1,
          "ok",
          [
            ["append", "x", 1],
            ["append", "y", 1],
          ],
        ],
        [
          2,
          "ok",
          [
            ["r", "x", []],
            ["r", "y", [1]],
          ],
        ],
      ]),
    );
    expect(result.anomalyTypes).toEqual(["G-single"]);
    expect(result.not).toEqual(["consistent-view"]);
    expect(result.anomalies["G-single"]![0]!.explanation).toMatch(
      /read key "x" empty, without .*'s append of 1/,
    );
  });

  it("G-nonadjacent: two anti-dependencies, never next to each other", () => {
    const result = serializable.check(
      concurrent([
        [
          1,
          "ok",
          [
            ["r", "x", []],
            ["r", "w", [1]],
          ],
        ],
        [
          2,
          "ok",
          [
            ["append", "x", 1],
            ["append", "y", 1],
          ],
        ],
        [
          3,
          "ok",
          [
            ["r", "y", [1]],
            ["r", "z", []],
          ],
        ],
        [
          4,
          "ok",
          [
            ["append", "z", 1],
            ["append", "w", 1],
          ],
        ],
      ]),
    );
    expect(result.anomalyTypes).toEqual(["G-nonadjacent"]);
    expect(result.not).toContain("snapshot-isolation");
    const steps = (result.anomalies["G-nonadjacent"]![0] as { steps: { type: string }[] }).steps;
    expect(steps.filter((s) => s.type === "rw")).toHaveLength(2);
  });

  it("G2-item: write skew, two adjacent anti-dependencies; snapshot isolation allows it", () => {
    const rows: TxnRow[] = [
      [
        1,
        "ok",
        [
          ["r", "x", []],
          ["append", "y", 1],
        ],
      ],
      [
        2,
        "ok",
        [
          ["r", "y", []],
          ["append", "x", 1],
        ],
      ],
    ];
    const result = serializable.check(concurrent(rows));
    expect(result.anomalyTypes).toEqual(["G2-item"]);
    expect(result.not).toEqual(["repeatable-read"]);
    expect(listAppend({ consistencyModels: ["snapshot-isolation"] }).check(concurrent(rows)).valid).toBe(
      true,
    );
  });

  it("G1a: a read saw the append of a failed transaction (aborted read)", () => {
    const result = serializable.check(
      txnHistory([
        [1, "fail", [["append", "x", 1]]],
        [2, "ok", [["r", "x", [1]]]],
      ]),
    );
    expect(result.anomalyTypes).toEqual(["G1a"]);
    expect(result.anomalies.G1a![0]!.explanation).toMatch(/which failed/);
  });

  it("G1b: a read saw a transaction's first append but not its second (intermediate read), which is also a G-single", () => {
    const result = serializable.check(
      concurrent([
        [
          1,
          "ok",
          [
            ["append", "x", 1],
            ["append", "x", 2],
          ],
        ],
        [2, "ok", [["r", "x", [1]]]],
        [3, "ok", [["r", "x", [1, 2]]]],
      ]),
    );
    expect(result.anomalyTypes).toEqual(["G-single", "G1b"]);
  });

  it("internal: a read that does not end with the transaction's own append", () => {
    const result = serializable.check(
      txnHistory([
        [
          1,
          "ok",
          [
            ["append", "x", 1],
            ["r", "x", []],
          ],
        ],
      ]),
    );
    expect(result.anomalyTypes).toEqual(["internal"]);
    expect(result.not).toEqual(["read-atomic"]);
    expect(result.alsoNot).toContain("serializable");
  });

  it("internal: two reads in one transaction that disagree", () => {
    const result = serializable.check(
      txnHistory([
        [1, "ok", [["append", "x", 1]]],
        [
          2,
          "ok",
          [
            ["r", "x", [1]],
            ["append", "x", 2],
            ["r", "x", [1, 3]],
          ],
        ],
      ]),
    );
    expect(result.anomalyTypes).toContain("internal");
  });

  it("future-read: a read shows an append its own transaction makes later", () => {
    const result = serializable.check(
      txnHistory([
        [
          1,
          "ok",
          [
            ["r", "x", [1]],
            ["append", "x", 1],
          ],
        ],
      ]),
    );
    expect(result.anomalyTypes).toEqual(["future-read"]);
    expect(result.not).toEqual(["read-committed"]);
    expect(result.alsoNot).toContain("read-atomic");
  });

  it("duplicate-elements: one read holds the same element twice", () => {
    const result = serializable.check(
      txnHistory([
        [1, "ok", [["append", "x", 1]]],
        [2, "ok", [["r", "x", [1, 1]]]],
      ]),
    );
    expect(result.anomalyTypes).toEqual(["duplicate-elements"]);
    expect(result.not).toEqual(["read-uncommitted"]);
  });

  it("incompatible-order: two reads no single order of appends explains", () => {
    const result = serializable.check(
      concurrent([
        [1, "ok", [["append", "x", 1]]],
        [2, "ok", [["append", "x", 2]]],
        [3, "ok", [["r", "x", [1, 2]]]],
        [4, "ok", [["r", "x", [2, 1]]]],
      ]),
    );
    expect(result.anomalyTypes).toEqual(["incompatible-order"]);
    expect(result.notes.join(" ")).toMatch(/incompatible version orders/);
  });

  it("dirty-update: a failed append followed by a committed one, seen by a read (also G1a)", () => {
    const result = serializable.check(
      txnHistory([
        [1, "fail", [["append", "x", 1]]],
        [2, "ok", [["append", "x", 2]]],
        [3, "ok", [["r", "x", [1, 2]]]],
      ]),
    );
    expect(result.anomalyTypes).toEqual(["G1a", "dirty-update"]);
  });

  it("lost-update: two transactions read the same version and both appended (also G-single)", () => {
    const result = serializable.check(
      concurrent([
        [
          1,
          "ok",
          [
            ["r", "x", []],
            ["append", "x", 1],
          ],
        ],
        [
          2,
          "ok",
          [
            ["r", "x", []],
            ["append", "x", 2],
          ],
        ],
        [3, "ok", [["r", "x", [1, 2]]]],
      ]),
    );
    expect(result.anomalyTypes).toEqual(["G-single", "lost-update"]);
    expect(result.not).toEqual(["ROLA", "cursor-stability"]);
    expect(result.alsoNot).toContain("repeatable-read");
  });

  it("garbage-read: a read of an element nobody appended", () => {
    const result = serializable.check(txnHistory([[1, "ok", [["r", "x", [5]]]]]));
    expect(result.anomalyTypes).toEqual(["garbage-read"]);
  });

  it("G-single-realtime: a read invoked after an append completed missed it (stale read); serializable allows it", () => {
    const history = txnHistory([
      [1, "ok", [["append", "x", 1]]],
      [2, "ok", [["r", "x", []]]],
    ]);
    const strict = listAppend().check(history);
    expect(strict.anomalyTypes).toEqual(["G-single-realtime"]);
    expect(strict.not).toEqual(["strong-snapshot-isolation"]);
    expect(strict.alsoNot).toContain("strict-serializable");
    expect(serializable.check(history).valid).toBe(true);
  });

  it("G-single-process: a process did not see its own earlier append under strong-session serializable", () => {
    const history = txnHistory([
      [1, "ok", [["append", "x", 1]]],
      [1, "ok", [["r", "x", []]]],
    ]);
    const result = listAppend({ consistencyModels: ["strong-session-serializable"] }).check(history);
    expect(result.anomalyTypes).toEqual(["G-single-process"]);
  });
});

describe("listAppend: evidence and bad input", () => {
  it("a serial history is valid under every model", () => {
    const history = txnHistory([
      [1, "ok", [["append", "x", 1]]],
      [
        2,
        "ok",
        [
          ["r", "x", [1]],
          ["append", "x", 2],
          ["append", 7, "a"],
        ],
      ],
      [
        3,
        "ok",
        [
          ["r", "x", [1, 2]],
          ["r", 7, ["a"]],
          ["r", "7", []],
        ],
      ],
    ]);
    for (const model of consistencyModelNames) {
      const result = listAppend({ consistencyModels: [model] }).check(history);
      expect({ model, valid: result.valid }).toEqual({ model, valid: true });
    }
  });

  it("a value appended twice makes the history unknown, naming the duplicates", () => {
    const result = serializable.check(
      txnHistory([
        [1, "ok", [["append", "x", 1]]],
        [2, "ok", [["append", "x", 1]]],
      ]),
    );
    expect(result.valid).toBe("unknown");
    expect(result.explanation).toMatch(/key "x" value 1 \(ops 1, 3\)/);
  });

  it("no committed transaction is unknown", () => {
    const result = serializable.check(txnHistory([[1, "fail", [["append", "x", 1]]]]));
    expect(result.valid).toBe("unknown");
  });

  it("an info transaction's append counts once someone reads it", () => {
    const result = serializable.check(
      concurrent([
        [
          1,
          "info",
          [
            ["append", "x", 1],
            ["append", "y", 1],
          ],
        ],
        [
          2,
          "ok",
          [
            ["r", "x", [1]],
            ["r", "y", []],
          ],
        ],
      ]),
    );
    expect(result.anomalyTypes).toEqual(["G-single"]);
  });

  it("a malformed micro-op is a usage error naming the op", () => {
    expect(() => serializable.check(txnHistory([[1, "ok", [["put", "x", 1]]]]))).toThrow(/op 1.*"put"/);
  });

  it("an unknown model is refused when the checker is made", () => {
    expect(() => listAppend({ consistencyModels: ["serialisable"] })).toThrow(
      /unknown consistency model "serialisable"/,
    );
  });

  it("a search that runs out of budget says unknown, not valid", () => {
    // A 2-cycle of anti-dependencies only (write skew) under a zero budget: no class can be searched.
    const result = listAppend({ consistencyModels: ["serializable"], cycleSearchBudgetMs: -1 }).check(
      concurrent([
        [
          1,
          "ok",
          [
            ["r", "x", []],
            ["append", "y", 1],
          ],
        ],
        [
          2,
          "ok",
          [
            ["r", "y", []],
            ["append", "x", 1],
          ],
        ],
      ]),
    );
    expect(result.valid).toBe("unknown");
    expect(result.explanation).toMatch(/budget/);
  });
});

describe("listAppend: no edge from what may not have happened", () => {
  it("an info transaction on a reused process precedes nothing by process order", () => {
    // Process 1's append may never have happened (info); its next transaction read x empty. Not a G-single-process.
    const history = txnHistory([
      [2, "ok", [["append", "y", 1]]],
      [1, "info", [["append", "x", 1]]],
      [
        1,
        "ok",
        [
          ["r", "x", []],
          ["r", "y", [1]],
        ],
      ],
    ]);
    const result = listAppend({ consistencyModels: ["strong-session-serializable"] }).check(history);
    expect(result.valid).toBe(true);
  });
});

describe("listAppend: process ids of any size", () => {
  it("small, large and fractional processes pair and order alike (the same G-single-process)", () => {
    // Process p appends x, then reads x empty: its own earlier append missed.
    const rows: TxnRow[] = [
      [1, "ok", [["append", "x", 1]]],
      [1, "ok", [["r", "x", []]]],
      [2, "ok", [["r", "x", [1]]]],
    ];
    const model = listAppend({ consistencyModels: ["strong-session-serializable"] });
    const processes = [1, 2 ** 40, 1.5];
    const results = processes.map((p) =>
      model.check(txnHistory(rows).map((op) => (op.process === 1 ? { ...op, process: p } : op))),
    );
    results.forEach((result, i) => {
      expect(result.anomalyTypes, `process ${processes[i]}`).toEqual(["G-single-process"]);
      expect(result.stats.transactions).toBe(3);
      expect(result.anomalies["G-single-process"]![0]!.explanation).toContain(`(process ${processes[i]})`);
    });
  });
});
