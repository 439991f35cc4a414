/**
 * Read-write registers: one minimal history per anomaly, the opt-in key
 * assumptions, and one history valid under every model.
 */
import { describe, expect, it } from "vitest";
import { consistencyModelNames, rwRegister } from "../../../src/checker/txn/index.js";
import type { Op } from "../../../src/history/op.js";
import { type TxnRow, txnHistory } from "./helpers.js";

const serializable = rwRegister({ consistencyModels: ["serializable"] });
const concurrent = (rows: TxnRow[]): Op[] => txnHistory(rows, { concurrent: true });

describe("rwRegister: one anomaly per history", () => {
  it("G1c: each transaction read the other's write", () => {
    const result = serializable.check(
      concurrent([
        [
          1,
          "ok",
          [
            ["w", "x", 1],
            ["r", "y", 1],
          ],
        ],
        [
          2,
          "ok",
          [
            ["w", "y", 1],
            ["r", "x", 1],
          ],
        ],
      ]),
    );
    expect(result.anomalyTypes).toEqual(["G1c"]);
    expect(result.anomalies.G1c![0]!.explanation).toMatch(/read key "y" = 1, written by T\d+/);
  });

  it("G-single: a read of the initial state beside a read of the same transaction's other write", () => {
    const result = serializable.check(
      concurrent([
        [
          1,
          "ok",
          [
            ["w", "x", 1],
            ["w", "y", 1],
          ],
        ],
        [
          2,
          "ok",
          [
            ["r", "x", null],
            ["r", "y", 1],
          ],
        ],
      ]),
    );
    expect(result.anomalyTypes).toEqual(["G-single"]);
    expect(result.anomalies["G-single"]![0]!.explanation).toMatch(
      /read key "x" = null, which T\d+ overwrote with 1/,
    );
  });

  it("G2-item: write skew", () => {
    const rows: TxnRow[] = [
      [
        1,
        "ok",
        [
          ["r", "x", null],
          ["w", "y", 1],
        ],
      ],
      [
        2,
        "ok",
        [
          ["r", "y", null],
          ["w", "x", 1],
        ],
      ],
    ];
    expect(serializable.check(concurrent(rows)).anomalyTypes).toEqual(["G2-item"]);
    expect(rwRegister({ consistencyModels: ["snapshot-isolation"] }).check(concurrent(rows)).valid).toBe(
      true,
    );
  });

  it("G1a: a read of a failed transaction's write", () => {
    const result = serializable.check(
      txnHistory([
        [1, "fail", [["w", "x", 1]]],
        [2, "ok", [["r", "x", 1]]],
      ]),
    );
    expect(result.anomalyTypes).toEqual(["G1a"]);
  });

  it("G1b: a read of a value its writer overwrote in the same transaction", () => {
    const result = serializable.check(
      concurrent([
        [
          1,
          "ok",
          [
            ["w", "x", 1],
            ["w", "x", 2],
          ],
        ],
        [2, "ok", [["r", "x", 1]]],
      ]),
    );
    expect(result.anomalyTypes).toEqual(["G1b"]);
  });

  it("internal: a read that disagrees with the transaction's own write", () => {
    const result = serializable.check(
      txnHistory([
        [
          1,
          "ok",
          [
            ["w", "x", 1],
            ["r", "x", null],
          ],
        ],
      ]),
    );
    expect(result.anomalyTypes).toEqual(["internal"]);
  });

  it("future-read: a read of what the same transaction writes later", () => {
    const result = serializable.check(
      txnHistory([
        [
          1,
          "ok",
          [
            ["r", "x", 1],
            ["w", "x", 1],
          ],
        ],
      ]),
    );
    expect(result.anomalyTypes).toEqual(["future-read"]);
  });

  it("garbage-read: a read of a value nobody wrote", () => {
    const result = serializable.check(txnHistory([[1, "ok", [["r", "x", 9]]]]));
    expect(result.anomalyTypes).toEqual(["garbage-read"]);
  });

  it("lost-update: both read the initial state and both wrote (also G2-item)", () => {
    const result = serializable.check(
      concurrent([
        [
          1,
          "ok",
          [
            ["r", "x", null],
            ["w", "x", 1],
          ],
        ],
        [
          2,
          "ok",
          [
            ["r", "x", null],
            ["w", "x", 2],
          ],
        ],
      ]),
    );
    expect(result.anomalyTypes).toEqual(["G2-item", "lost-update"]);
  });

  it("cyclic-versions: each transaction read the other's write and overwrote it (also G1c)", () => {
    const result = serializable.check(
      concurrent([
        [
          1,
          "ok",
          [
            ["r", "x", 1],
            ["w", "x", 2],
          ],
        ],
        [
          2,
          "ok",
          [
            ["r", "x", 2],
            ["w", "x", 1],
          ],
        ],
      ]),
    );
    expect(result.anomalyTypes).toEqual(["G1c", "cyclic-versions"]);
    expect(result.anomalies["cyclic-versions"]![0]!.explanation).toMatch(/key "x": the versions/);
  });
});

describe("rwRegister: what is inferred, and when", () => {
  // T1 writes x=1 and completes; then T2 (writes x=2, y=1) and T3 (reads x=1, y=1) overlap.
  const history: Op[] = [
    { index: 0, time: 0, type: "invoke", process: 1, f: "txn", value: [["w", "x", 1]] },
    { index: 1, time: 1, type: "ok", process: 1, f: "txn", value: [["w", "x", 1]] },
    {
      index: 2,
      time: 2,
      type: "invoke",
      process: 2,
      f: "txn",
      value: [
        ["w", "x", 2],
        ["w", "y", 1],
      ],
    },
    {
      index: 3,
      time: 3,
      type: "invoke",
      process: 3,
      f: "txn",
      value: [
        ["r", "x", null],
        ["r", "y", null],
      ],
    },
    {
      index: 4,
      time: 4,
      type: "ok",
      process: 2,
      f: "txn",
      value: [
        ["w", "x", 2],
        ["w", "y", 1],
      ],
    },
    {
      index: 5,
      time: 5,
      type: "ok",
      process: 3,
      f: "txn",
      value: [
        ["r", "x", 1],
        ["r", "y", 1],
      ],
    },
  ];

  it("without an assumption the order of x=1 and x=2 is unknown, so nothing is wrong", () => {
    expect(serializable.check(history).valid).toBe(true);
  });

  it("linearizable-keys orders x=1 before x=2 by real time: T3 read a stale x beside T2's y (G-single)", () => {
    const result = rwRegister({ consistencyModels: ["serializable"], assume: "linearizable-keys" }).check(
      history,
    );
    expect(result.anomalyTypes).toEqual(["G-single"]);
  });

  it("sequential-keys orders one process's versions: a process that wrote x=1 then read the initial state has cyclic versions", () => {
    const result = rwRegister({ consistencyModels: ["serializable"], assume: "sequential-keys" }).check(
      txnHistory([
        [1, "ok", [["w", "x", 1]]],
        [1, "ok", [["r", "x", null]]],
      ]),
    );
    expect(result.anomalyTypes).toEqual(["cyclic-versions"]);
  });

  it("a serial history is valid under every model", () => {
    const serial = txnHistory([
      [
        1,
        "ok",
        [
          ["r", "x", null],
          ["w", "x", 1],
        ],
      ],
      [
        2,
        "ok",
        [
          ["r", "x", 1],
          ["w", "x", 2],
          ["w", 5, "a"],
        ],
      ],
      [
        3,
        "ok",
        [
          ["r", "x", 2],
          ["r", 5, "a"],
          ["r", "5", null],
        ],
      ],
    ]);
    for (const model of consistencyModelNames) {
      const result = rwRegister({ consistencyModels: [model], assume: "linearizable-keys" }).check(serial);
      expect({ model, valid: result.valid }).toEqual({ model, valid: true });
    }
  });

  it("a value written twice is unknown, naming it", () => {
    const result = serializable.check(
      txnHistory([
        [1, "ok", [["w", "x", 1]]],
        [2, "ok", [["w", "x", 1]]],
      ]),
    );
    expect(result.valid).toBe("unknown");
    expect(result.explanation).toMatch(/written more than once .*key "x" value 1/);
  });
});
