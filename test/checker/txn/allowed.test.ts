/**
 * A check under a weak model searches the cycles that model forbids for its
 * verdict, then the ones it allows, and reports those as allowed (with the
 * models each rules out), never as a reason for `false` — as Elle reports
 * every anomaly it finds and which models it rules out.
 */
import { describe, expect, it } from "vitest";
import { highlightsOf } from "../../../src/checker/highlights.js";
import { listAppend, rwRegister } from "../../../src/checker/txn/index.js";
import { type TxnRow, txnHistory } from "./helpers.js";

/** Write skew: each read both keys empty and appended to one of them. */
const writeSkew: TxnRow[] = [
  [
    1,
    "ok",
    [
      ["r", "x", []],
      ["r", "y", []],
      ["append", "x", 1],
    ],
  ],
  [
    2,
    "ok",
    [
      ["r", "x", []],
      ["r", "y", []],
      ["append", "y", 1],
    ],
  ],
  [3, "ok", [["r", "x", [1]]]],
  [4, "ok", [["r", "y", [1]]]],
];

/** Read skew: T2 saw T1's append to y but not its append to x. */
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

const concurrent = (rows: TxnRow[]) => txnHistory(rows, { concurrent: true });

describe("anomalies the models allow", () => {
  it("write skew under snapshot isolation: valid, the G2-item reported as allowed, ruling out repeatable read", () => {
    const result = listAppend({ consistencyModels: ["snapshot-isolation"] }).check(concurrent(writeSkew));
    expect(result.valid).toBe(true);
    expect(result.anomalyTypes).toEqual([]);
    expect(result.allowedAnomalyTypes).toEqual(["G2-item"]);
    expect(result.allowedAnomalies["G2-item"]![0]!.explanation).toMatch(/a cycle \(G2-item\)/);
    expect(result.notByAnomaly["G2-item"]).toEqual(["repeatable-read"]);
    expect(result.not).toEqual(["repeatable-read"]);
    expect(result.explanation).toBe(
      "nothing the models forbid; found G2-item, which they allow (so not repeatable-read)",
    );
    // The report marks only what the models forbid.
    expect(highlightsOf(result)).toEqual([]);
  });

  it("the same history under serializable: G2-item is forbidden, and nothing is left to report as allowed", () => {
    const result = listAppend({ consistencyModels: ["serializable"] }).check(concurrent(writeSkew));
    expect(result.valid).toBe(false);
    expect(result.anomalyTypes).toEqual(["G2-item"]);
    expect(result.allowedAnomalyTypes).toEqual([]);
  });

  it("read skew under read committed: valid, with the G-single it allows; under snapshot isolation: invalid", () => {
    const committed = listAppend({ consistencyModels: ["read-committed"] }).check(concurrent(readSkew));
    expect(committed.valid).toBe(true);
    expect(committed.allowedAnomalyTypes).toEqual(["G-single"]);
    expect(committed.notByAnomaly["G-single"]).toEqual(["consistent-view"]);
    const snapshot = listAppend({ consistencyModels: ["snapshot-isolation"] }).check(concurrent(readSkew));
    expect(snapshot.valid).toBe(false);
    expect(snapshot.anomalyTypes).toEqual(["G-single"]);
    expect(snapshot.allowedAnomalyTypes).toEqual([]);
  });

  it("rw-register: write skew under snapshot isolation is reported as allowed", () => {
    const rows: TxnRow[] = [
      [
        1,
        "ok",
        [
          ["r", "x", null],
          ["r", "y", null],
          ["w", "x", 1],
        ],
      ],
      [
        2,
        "ok",
        [
          ["r", "x", null],
          ["r", "y", null],
          ["w", "y", 1],
        ],
      ],
    ];
    const result = rwRegister({ consistencyModels: ["snapshot-isolation"] }).check(concurrent(rows));
    expect(result.valid).toBe(true);
    expect(result.allowedAnomalyTypes).toEqual(["G2-item"]);
  });

  it("searchAllowed: false searches only what the models forbid", () => {
    const result = listAppend({ consistencyModels: ["snapshot-isolation"], searchAllowed: false }).check(
      concurrent(writeSkew),
    );
    expect(result.valid).toBe(true);
    expect(result.allowedAnomalyTypes).toEqual([]);
    expect(result.explanation).toBeUndefined();
  });

  it("only on the edges already built: read committed builds no real-time edges, so no -realtime class is reported", () => {
    // A stale read: T2 began after T1 completed, yet missed its append; only real time makes it a cycle.
    const staleRead = txnHistory([
      [1, "ok", [["append", "x", 1]]],
      [2, "ok", [["r", "x", []]]],
    ]);
    const result = listAppend({ consistencyModels: ["read-committed"] }).check(staleRead);
    expect(result.valid).toBe(true);
    expect(result.allowedAnomalyTypes).toEqual([]);
    const strict = listAppend({ consistencyModels: ["strict-serializable"] }).check(staleRead);
    expect(strict.anomalyTypes).toEqual(["G-single-realtime"]);
  });
});
