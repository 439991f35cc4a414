/**
 * The transactions of a forbidden cycle are named as op highlights, so the
 * report marks them on the timeline with their place in the cycle and the
 * edge to the next one, with the values that justify it; allowed anomalies
 * and valid histories name nothing.
 */
import { describe, expect, it } from "vitest";
import { highlightsOf } from "../../../src/checker/highlights.js";
import { type CycleAnomaly, edgeLabel, listAppend, rwRegister } from "../../../src/checker/txn/index.js";
import type { Op } from "../../../src/history/op.js";
import { type TxnRow, txnHistory } from "./helpers.js";

const readSkew: TxnRow[] = [
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
];

describe("txn cycle highlights", () => {
  it("names each transaction of a G-single cycle with the edge it leaves by", () => {
    const history: Op[] = txnHistory(readSkew, { concurrent: true });
    const result = listAppend({ consistencyModels: ["serializable"] }).check(history, {});
    const highlights = highlightsOf(result);
    expect(highlights.map((h) => h.label).sort()).toEqual([
      "G-single #1: T1 -rw key x (T1 read [], T2 appended 1)-> T2",
      "G-single #1: T2 -wr y=1-> T1",
    ]);
    const cycle = result.anomalies["G-single"]![0]! as { cycle: number[] };
    expect(new Set(highlights.map((h) => h.index))).toEqual(new Set(cycle.cycle));
    for (const h of highlights) expect(history.some((op) => op.index === h.index)).toBe(true);
  });

  it("names nothing when the anomaly is allowed by the model asked for", () => {
    const history = txnHistory(readSkew, { concurrent: true });
    const result = listAppend({ consistencyModels: ["read-committed"] }).check(history, {});
    expect(result.valid).toBe(true);
    expect(highlightsOf(result)).toEqual([]);
  });

  it("labels every edge kind with its values: ww, wr and rw with whole reads, in list-append and rw-register words", () => {
    // G2-item with history: T1 and T2 each read both keys (after 1 and 2 were appended) and appended to one.
    const rows: TxnRow[] = [
      [
        1,
        "ok",
        [
          ["append", "x", 1],
          ["append", "x", 2],
          ["append", "y", 1],
        ],
      ],
      [
        2,
        "ok",
        [
          ["r", "x", [1, 2]],
          ["r", "y", [1]],
          ["append", "x", 3],
        ],
      ],
      [
        3,
        "ok",
        [
          ["r", "x", [1, 2]],
          ["r", "y", [1]],
          ["append", "y", 4],
        ],
      ],
      [
        4,
        "ok",
        [
          ["r", "x", [1, 2, 3]],
          ["r", "y", [1, 4]],
        ],
      ],
    ];
    const ops = txnHistory(rows.slice(0, 1)).concat(
      txnHistory(rows.slice(1), { concurrent: true }).map((op) => ({
        ...op,
        index: op.index + 2,
        time: (op.index + 2) * 1000,
      })),
    );
    const result = listAppend({ consistencyModels: ["serializable"] }).check(ops);
    expect(result.anomalyTypes).toEqual(["G2-item"]);
    const cycle = result.anomalies["G2-item"]![0]! as CycleAnomaly;
    expect(cycle.steps.map((step) => step.label).sort()).toEqual([
      "rw key x (T6 read [1 2], T5 appended 3)",
      "rw key y (T5 read [1], T6 appended 4)",
    ]);
    expect(cycle.diagram).toMatch(
      /^T(5|6) -rw key . \(T. read \[1( 2)?\], T. appended .\)-> T. -rw .*-> T(5|6)$/,
    );
    expect(cycle.explanation.endsWith(`a cycle (G2-item): ${cycle.diagram}.`)).toBe(true);
    // Under read committed the same cycle is allowed; the ww and wr edges of a G1c say their values too.
    const g1c = listAppend({ consistencyModels: ["read-committed"] }).check(
      txnHistory(
        [
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
          [3, "ok", [["append", "x", 2]]],
          [4, "ok", [["r", "x", [1, 2]]]],
        ],
        { concurrent: true },
      ),
    );
    const labels = (g1c.anomalies.G1c![0] as CycleAnomaly).steps.map((step) => step.label).sort();
    expect(labels).toEqual(["wr x=1", "wr y=1"]);
    expect(
      highlightsOf(g1c)
        .map((h) => h.label)
        .sort(),
    ).toEqual(["G1c #1: T1 -wr x=1-> T2", "G1c #1: T2 -wr y=1-> T1"]);
  });

  it("rw-register edges say wrote, and show the one value read", () => {
    const result = rwRegister({ consistencyModels: ["serializable"] }).check(
      txnHistory(
        [
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
        ],
        { concurrent: true },
      ),
    );
    const cycle = result.anomalies["G-single"]![0]! as CycleAnomaly;
    expect(cycle.steps.map((step) => step.label).sort()).toEqual([
      "rw key x (T3 read nil, T2 wrote 1)",
      "wr y=1",
    ]);
  });

  it("long lists are shown by their ends, and keys that look like numbers keep their quotes", () => {
    const step = {
      type: "rw" as const,
      from: 1,
      to: 2,
      key: "7",
      read: Array.from({ length: 30 }, (_, i) => i + 1),
      previous: 30,
      value: 31,
      label: "",
    };
    expect(edgeLabel(step, "list-append", "T1", "T2")).toBe(
      'rw key "7" (T1 read [1 2 …26 more… 29 30], T2 appended 31)',
    );
    expect(edgeLabel({ ...step, type: "ww", previous: 30 }, "list-append", "T1", "T2")).toBe(
      'ww key "7" (T1 appended 30, T2 appended 31)',
    );
    expect(edgeLabel({ ...step, type: "process", process: 3 }, "list-append", "T1", "T2")).toBe("process 3");
  });
});
