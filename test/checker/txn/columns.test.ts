/**
 * The columnar history and the object form give the same result: on Elle's
 * fixtures and on seeded random histories full of anomalies (stale and torn
 * reads, lost and aborted appends, info and fail completions, duplicate
 * values, reads of garbage). The columns here are built event by event with
 * `TxnHistoryBuilder` (invoke with blank reads, fill the reads in at the
 * completion), not by the conversion the checker runs on ops, so the two
 * paths meet only in the checker.
 */
import { describe, expect, it } from "vitest";
import { generateColumns, generateHistory } from "../../../bench/txn.js";
import {
  listAppend,
  READ_NIL,
  rwRegister,
  TXN_FAIL,
  TXN_INFO,
  TXN_OK,
  type TxnCheckResult,
  type TxnHistory,
  TxnHistoryBuilder,
  type TxnWorkload,
  txnHistoryFromOps,
} from "../../../src/checker/txn/index.js";
import type { Op, OpType } from "../../../src/history/op.js";
import { Random } from "../../../src/random/random.js";
import { readElleEdn } from "./helpers.js";

/** Columns from ops in history order, as a live recorder would build them. */
function columnsByEvents(ops: readonly Op[], workload: TxnWorkload): TxnHistory {
  const builder = new TxnHistoryBuilder(workload);
  const open = new Map<unknown, { row: number; reads: number[] }>();
  ops.forEach((op, position) => {
    const at = { position, index: op.index, time: op.time };
    if (op.process === "nemesis" || op.f !== "txn") {
      builder.event(at, op.process !== "nemesis");
      return;
    }
    if (op.type === "invoke") {
      const row = builder.invoke(op.process, at);
      const reads: number[] = [];
      for (const [f, key, value] of op.value as [string, string | number, unknown][])
        if (f === "r") reads.push(builder.read(key));
        else builder.write(key, value);
      open.set(op.process, { row, reads });
      return;
    }
    const txn = open.get(op.process);
    if (txn === undefined) return;
    open.delete(op.process);
    if (op.type === "ok" || (op.type === "info" && Array.isArray(op.value))) {
      const observed = (op.value as unknown[][]).filter((micro) => micro[0] === "r");
      expect(observed.length, `op ${op.index} reads as many keys as its invocation`).toBe(txn.reads.length);
      observed.forEach((micro, i) => {
        builder.observe(txn.reads[i]!, micro[2]);
      });
    }
    builder.complete(txn.row, op.type as "ok" | "info" | "fail", at);
  });
  return builder.build();
}

/** The result without its timing. */
const comparable = (result: TxnCheckResult) => ({ ...result, stats: { ...result.stats, checkMs: 0 } });

const MODELS = [["strict-serializable"], ["serializable"], ["repeatable-read"], ["read-committed"]];

function expectSameVerdicts(ops: readonly Op[], workload: TxnWorkload): TxnCheckResult[] {
  const columns = columnsByEvents(ops, workload);
  const results: TxnCheckResult[] = [];
  for (const consistencyModels of MODELS) {
    const checker =
      workload === "list-append" ? listAppend({ consistencyModels }) : rwRegister({ consistencyModels });
    const fromOps = checker.check(ops);
    expect(comparable(checker.check(columns)), `${workload} ${consistencyModels}`).toEqual(
      comparable(fromOps),
    );
    results.push(fromOps);
  }
  return results;
}

/**
 * A random list-append or rw-register history from a store that misbehaves:
 * a read may see a stale or a torn prefix (or, for a register, an older
 * version), an append may be lost, a completion may be fail or info (its
 * writes applied or not), a value may be written twice or read from nowhere.
 */
function misbehavingHistory(random: Random, workload: TxnWorkload, count: number): Op[] {
  const ops: Op[] = [];
  const lists = new Map<number, unknown[]>();
  const history = new Map<number, unknown[][]>(); // per key, its states so far (stale reads pick one)
  const open = new Map<number, unknown[][]>();
  let nextValue = 1;
  let process = 0;
  const processes = [0, 1, 2, 3];
  const push = (p: number, type: OpType, value: unknown) =>
    ops.push({ index: ops.length, time: ops.length * 1000, type, process: p, f: "txn", value });
  let done = 0;
  while (done < count) {
    const slot = random.int(0, processes.length - 1);
    const p = processes[slot]!;
    const pending = open.get(p);
    if (pending === undefined) {
      const micro: unknown[][] = [];
      for (let i = random.int(1, 4); i > 0; i--) {
        const key = random.int(0, 3);
        if (random.float() < 0.5) micro.push(["r", key, null]);
        else {
          // Now and then a value written twice, or one never committed.
          const value = random.float() < 0.02 ? Math.max(1, nextValue - 1) : nextValue++;
          micro.push([workload === "list-append" ? "append" : "w", key, value]);
        }
      }
      open.set(p, micro);
      push(p, "invoke", micro);
      continue;
    }
    open.delete(p);
    done++;
    const roll = random.float();
    const type: OpType = roll < 0.1 ? "fail" : roll < 0.2 ? "info" : "ok";
    const applied = type === "ok" || (type === "info" && random.float() < 0.5) || random.float() < 0.03;
    const completed = pending.map((m) => {
      const key = m[1] as number;
      const list = lists.get(key) ?? [];
      if (m[0] !== "r") {
        if (applied && random.float() > 0.05) {
          list.push(m[2]);
          lists.set(key, list);
          history.set(key, [...(history.get(key) ?? [[]]), [...list]]);
        }
        return m;
      }
      const states = history.get(key) ?? [[]];
      let seen: unknown[] = random.float() < 0.15 ? states[random.int(0, states.length - 1)]! : [...list];
      if (random.float() < 0.03) seen = [...seen, 10_000 + random.int(0, 9)]; // garbage
      if (random.float() < 0.03 && seen.length > 1) seen = seen.slice(1); // torn, not a prefix
      if (workload === "list-append") return ["r", key, seen];
      return ["r", key, seen.length === 0 ? null : seen[seen.length - 1]];
    });
    push(p, type, type === "fail" ? pending : completed);
    // A process whose op ended info continues as a fresh one (Jepsen's rule).
    if (type === "info") processes[slot] = 4 + process++;
  }
  return ops;
}

describe("columnar history", () => {
  it.each(["paper-example", "si-without-g-single"])("Elle's %s: the same results from columns", (name) => {
    const ops = readElleEdn(`test/fixtures/elle/${name}.edn`);
    const [strict] = expectSameVerdicts(ops, "list-append");
    expect(strict!.valid).toBe(false);
  });

  it("Elle's huge-scc: the same result from columns", () => {
    const ops = readElleEdn("test/fixtures/elle/huge-scc.edn");
    const columns = columnsByEvents(ops, "list-append");
    // A budget no loaded machine runs out of: a timeout in one run and not the other would differ.
    const checker = listAppend({ consistencyModels: ["strict-serializable"], cycleSearchBudgetMs: 120_000 });
    const fromOps = checker.check(ops);
    expect(fromOps.valid).toBe(false);
    expect(fromOps.anomalyTypes).toContain("G-single-realtime");
    expect(comparable(checker.check(columns))).toEqual(comparable(fromOps));
  });

  it.each(["list-append", "rw-register"] as const)(
    "%s: random misbehaving histories give the same results from columns and from ops",
    (workload) => {
      const verdicts = new Set<string>();
      const types = new Set<string>();
      for (let seed = 1; seed <= 40; seed++) {
        const ops = misbehavingHistory(new Random(seed).fork(workload), workload, 40);
        for (const result of expectSameVerdicts(ops, workload)) {
          verdicts.add(String(result.valid));
          for (const type of [...result.anomalyTypes, ...result.allowedAnomalyTypes]) types.add(type);
        }
      }
      // The histories must exercise the checker: every verdict, and several anomaly kinds.
      expect([...verdicts].sort()).toEqual(["false", "true", "unknown"]);
      expect(types.size).toBeGreaterThan(4);
    },
  );

  it("the bench's columnar generator builds the same history as its op generator", () => {
    const ops = generateHistory(2000, new Random(7).fork("same"));
    const columns = generateColumns(2000, new Random(7).fork("same"));
    const converted = txnHistoryFromOps(ops, "list-append");
    for (const column of [
      "type",
      "process",
      "invokeAt",
      "completeAt",
      "microWrite",
      "microKey",
      "microValue",
    ] as const)
      expect(Array.from(columns[column]), column).toEqual(Array.from(converted[column]));
    expect(columns.keys).toEqual(converted.keys);
    expect(columns.values).toEqual(converted.values);
    const checker = listAppend();
    expect(comparable(checker.check(columns))).toEqual(comparable(checker.check(ops)));
    expect(checker.check(columns).valid).toBe(true);
  });

  it("refuses a columnar history of the other workload, and a builder used out of order", () => {
    const builder = new TxnHistoryBuilder("list-append");
    const row = builder.invoke(0, { position: 0, time: 0 });
    builder.write(1, 1);
    builder.complete(row, "ok", { position: 1, time: 1 });
    expect(() => builder.invoke(1, { position: 0, time: 2 })).toThrow(/after one at 0/);
    const history = builder.build();
    expect(() => rwRegister().check(history)).toThrow(/list-append history cannot be checked as rw-register/);
    expect(() => builder.build()).toThrow(/already built/);
  });
});

describe("txnHistoryFromOps: pairing while counting", () => {
  it("takes each transaction's micro-ops from its completion or, left open or failed, its invocation", () => {
    // A process id past the pairing's typed array takes its map path.
    const BIG = 2_000_000;
    const op = (process: number, type: OpType, value: unknown): Op => ({
      index: 0,
      time: 0,
      type,
      process,
      f: "txn",
      value,
    });
    const ops: Op[] = [
      op(0, "invoke", [["r", "x", null]]),
      op(BIG, "invoke", [["append", "x", 1]]),
      op(0, "invoke", [["append", "y", 1]]), // process 0's first invocation is left open
      op(BIG, "ok", [["append", "x", 1]]),
      op(0, "fail", [["append", "y", 1]]),
      op(1, "invoke", [
        ["r", "x", null],
        ["r", "y", null],
      ]),
      op(1, "ok", [
        ["r", "x", [1]],
        ["r", "y", []],
      ]),
      op(BIG + 1, "invoke", [["append", "z", 1]]), // never completed
    ].map((o, index) => ({ ...o, index, time: index * 10 }));
    const history = txnHistoryFromOps(ops, "list-append");
    expect(history.count).toBe(5);
    expect(Array.from(history.type)).toEqual([TXN_INFO, TXN_OK, TXN_FAIL, TXN_OK, TXN_INFO]);
    expect(Array.from(history.microStart)).toEqual([0, 1, 2, 3, 5, 6]);
    // Row 3's reads: [1] and [] (3 reads in all: row 0's null read, and row 3's two).
    expect(Array.from(history.readLength)).toEqual([READ_NIL, 1, 0]);
    expect(history.elements.length).toBe(1);
  });
});
