/**
 * Test helpers for the transactional checkers: histories written as rows of
 * transactions, and Elle's EDN fixtures read into ops.
 *
 * `readElleEdn` is a minimal private conversion, used because some of Elle's
 * histories (paper-example.edn) have ops without `:process` and `:f`, which
 * the project's EDN importer requires. An op without a process is paired
 * with the next completion in file order (the only reading of such a file
 * that makes sense); `:f` defaults to `txn`; `:index` is ignored (ops are
 * renumbered in file order, as the importer does).
 */
import { readFileSync } from "node:fs";
import { EdnReader, toPlain } from "../../../src/history/import/index.js";
import type { Op, OpType } from "../../../src/history/op.js";

export function readElleEdn(path: string): Op[] {
  const reader = new EdnReader(readFileSync(path, "utf8"));
  const ops: Op[] = [];
  let anonymous = 1_000_000;
  let openAnonymous: number | undefined;
  while (reader.hasMore()) {
    const plain = toPlain(reader.read()) as Record<string, unknown>;
    const type = plain.type as OpType;
    let process = plain.process as number | undefined;
    if (process === undefined) {
      if (type === "invoke") openAnonymous = ++anonymous;
      process = openAnonymous!;
    }
    const op: Op = {
      index: ops.length,
      time: typeof plain.time === "number" ? plain.time : ops.length * 1_000_000,
      type,
      process,
      f: (plain.f as string | undefined) ?? "txn",
      value: plain.value,
    };
    if (plain.error !== undefined) op.error = JSON.stringify(plain.error);
    ops.push(op);
  }
  return ops;
}

/** A transaction row: process, completion type, micro-ops as completed (reads filled in). */
export type TxnRow = [process: number, type: "ok" | "fail" | "info", ops: unknown[][]];

/**
 * One op pair per row, in row order and not overlapping: invoke (reads
 * blanked to null), then its completion. Use `concurrent` to overlap them.
 */
export function txnHistory(rows: readonly TxnRow[], options: { concurrent?: boolean } = {}): Op[] {
  const ops: Op[] = [];
  const push = (process: number, type: OpType, value: unknown) =>
    ops.push({ index: ops.length, time: ops.length * 1000, type, process, f: "txn", value });
  const invoke = (row: TxnRow) =>
    push(
      row[0],
      "invoke",
      row[2].map((micro) => (micro[0] === "r" ? [micro[0], micro[1], null] : micro)),
    );
  if (options.concurrent) {
    for (const row of rows) invoke(row);
    for (const row of rows) push(row[0], row[1], row[2]);
    return ops;
  }
  for (const row of rows) {
    invoke(row);
    push(row[0], row[1], row[2]);
  }
  return ops;
}
