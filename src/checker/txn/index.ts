/**
 * Elle-style transactional isolation checkers (docs/transactions.md).
 *
 * A history of transactions (`f: "txn"`, value a list of micro-ops) is turned
 * into a dependency graph — ww (a write replaced another), wr (a read saw a
 * write), rw (a read missed a later write), plus process and real-time order
 * when the models ask for them — whose cycles, and some non-cycle anomalies,
 * each isolation level forbids. `listAppend` infers version orders from list
 * reads; `rwRegister` from what register reads and writes make certain.
 *
 * ```ts
 * import { listAppend } from "crucible";
 * const checker = listAppend({ consistencyModels: ["serializable"] });
 * ```
 */
import type { Op } from "../../history/op.js";
import type { CheckContext, Checker } from "../types.js";
import { checkTransactions, type TxnCheckOptions, type TxnCheckResult } from "./check.js";
import { analyzeListAppend } from "./list-append.js";
import { canonicalModel } from "./models.js";
import { analyzeRwRegister, type KeyAssumption } from "./rw-register.js";
import type { TxnHistory } from "./transactions.js";

export type { CycleAnomaly, CycleStep, DuplicateWrite, OpAnomaly, TxnAnomaly } from "./anomaly.js";
export { cycleDiagram, edgeLabel, labelValue } from "./anomaly.js";
export {
  DEFAULT_CONSISTENCY_MODELS,
  DEFAULT_CYCLE_SEARCH_BUDGET_MS,
  type TxnCheckOptions,
  type TxnCheckResult,
} from "./check.js";
export { anomaliesForbiddenBy, anomalyNames, consistencyModelNames, modelBoundary } from "./models.js";
export type { KeyAssumption } from "./rw-register.js";
export {
  isTxnHistory,
  READ_NIL,
  READ_SCALAR,
  TXN_FAIL,
  TXN_INFO,
  TXN_OK,
  type TxnEvent,
  type TxnHistory,
  TxnHistoryBuilder,
  type TxnWorkload,
  txnHistoryFromOps,
} from "./transactions.js";

export interface ListAppendOptions extends TxnCheckOptions {}

export interface RwRegisterOptions extends TxnCheckOptions {
  /** Also order each key's versions by process order (`sequential-keys`) or real time (`linearizable-keys`). Default: neither. */
  assume?: KeyAssumption;
}

/** A transactional checker: synchronous, with the detailed result type. */
export interface TxnChecker extends Checker {
  /** Ops, or the same history in columns (`TxnHistoryBuilder`): the same verdict either way. */
  check(history: readonly Op[] | TxnHistory, ctx?: CheckContext): TxnCheckResult;
}

/** Checks the models up front, so a typo fails when the checker is made, not after a run. */
function validated(options: TxnCheckOptions): void {
  for (const model of options.consistencyModels ?? []) canonicalModel(model);
}

/** The list-append checker: `["append", k, v]` and `["r", k, [..]]` micro-ops. */
export function listAppend(options: ListAppendOptions = {}): TxnChecker {
  validated(options);
  return {
    name: "list-append",
    check: (history, ctx = {}) => checkTransactions(history, "list-append", analyzeListAppend, options, ctx),
  };
}

/** The read-write register checker: `["w", k, v]` and `["r", k, v | null]` micro-ops. */
export function rwRegister(options: RwRegisterOptions = {}): TxnChecker {
  validated(options);
  return {
    name: "rw-register",
    check: (history, ctx = {}) =>
      checkTransactions(
        history,
        "rw-register",
        (input, graph) => analyzeRwRegister(input, graph, options.assume),
        options,
        ctx,
      ),
  };
}
