/**
 * The transactions of a forbidden cycle are named as op highlights, so the
 * report marks them on the timeline with their place in the cycle and the
 * edge to the next one; allowed anomalies and valid histories name nothing.
 */
import { describe, expect, it } from "vitest";
import { highlightsOf } from "../../../src/checker/highlights.js";
import { listAppend } from "../../../src/checker/txn/index.js";
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
      "G-single #1: T1 -rw key x-> T2",
      "G-single #1: T2 -wr key y-> T1",
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
});
